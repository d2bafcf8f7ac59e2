"""The exposure scan with the privileges it really has: no faked geteuid.

A child process runs the ports probe (a) as the unprivileged `nobody` and (b) as root without
CAP_NET_RAW (as in some containers), both through util-linux `setpriv`, against a real listener.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.probes.nmap_runner import INSTALL_HINT, find_nmap
from tests.probes_ports import Listener, ssh_like

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, sys, time
from scanner.engine import run_probe
from scanner.models import ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.ports import FACT, PortsProbe
from tests.wording_help import how
address, ports, udp = sys.argv[1], sys.argv[2], sys.argv[3] == "udp"
ctx = ProbeContext(timeout=3.0, deadline=time.monotonic() + 60,
                   options=ProbeOptions(ports=ports, udp=udp))
target = ProbeTarget(address, 0, ServiceProtocol.HOST, None, address, host="h1")
[fact] = run_probe(PortsProbe(), target, frozenset({FACT}), ctx, {})
print(json.dumps({"status": fact.status, "reason": fact.reason, "category": fact.category,
                  "summary": how(fact), "connections": ctx.connections,
                  "open": [o.value for o in fact.value or ()]}))
"""
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
          "--inh-caps=-all", "--bounding-set=-all"]
NO_RAW = ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"]


@pytest.fixture(scope="module", autouse=True)
def requirements() -> None:
    if find_nmap() is None:
        pytest.skip(INSTALL_HINT)
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("dropping privileges for real needs root and util-linux setpriv")


def probe(prefix: list[str], address: str, ports: str, udp: bool = False) -> dict[str, Any]:
    run = subprocess.run([*prefix, sys.executable, "-c", CHILD, address, ports,
                          "udp" if udp else "tcp"], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": "/tmp"})
    assert run.returncode == 0, run.stderr
    out: dict[str, Any] = json.loads(run.stdout)
    return out


def test_unprivileged_user_gets_a_connect_scan() -> None:
    ssh = Listener("127.0.0.1", 0, ssh_like)
    try:
        fact = probe(NOBODY, "127.0.0.1", str(ssh.port))
        udp = probe(NOBODY, "127.0.0.1", str(ssh.port), udp=True)
    finally:
        ssh.close()
    assert fact["status"] == "completed", fact
    assert fact["open"] == [f"{ssh.port}/tcp"]
    assert "TCP connect scan (-sT)" in fact["summary"]
    assert (udp["status"], udp["category"]) == ("error", "not_permitted")
    assert udp["reason"].startswith("the UDP scan needs root") and udp["connections"] == 0


def test_root_without_raw_sockets_falls_back_to_a_connect_scan() -> None:
    ssh = Listener("127.0.0.1", 0, ssh_like)
    try:
        fact = probe(NO_RAW, "127.0.0.1", str(ssh.port))
    finally:
        ssh.close()
    assert fact["status"] == "completed", fact
    assert fact["open"] == [f"{ssh.port}/tcp"]
    assert "TCP connect scan (-sT) of ports" in fact["summary"]
    assert "the SYN scan could not open a raw socket: connect scan (-sT) instead" in \
        fact["summary"]
    assert fact["connections"] == 2  # the refused SYN scan and the connect scan


def test_root_with_raw_sockets_uses_a_syn_scan() -> None:
    ssh = Listener("127.0.0.1", 0, ssh_like)
    try:
        fact = probe([], "127.0.0.1", str(ssh.port))
    finally:
        ssh.close()
    assert fact["open"] == [f"{ssh.port}/tcp"] and "SYN scan (-sS)" in fact["summary"]
