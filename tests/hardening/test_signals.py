"""SIGINT and SIGTERM during a real scan: the scan stops, nmap does not outlive it, what was
gathered is written (marked interrupted) and the exit status says which signal (130, 143)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from scanner.models import ReasonCategory
from scanner.probes.nmap_runner import find_nmap
from tests.errors import assert_error

REMPART = str(Path(sys.executable).with_name("rempart"))


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word (a slow service)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        return int(s.getsockname()[1])


def inventory(slow: int, closed: int) -> str:
    return f"""\
rempart: 1
contract: {{customer: Example, end_date: 2099-01-01}}
scope: [127.0.0.0/8]
roles:
  web: {{allowed_ports: ["{slow}/tcp"]}}
hosts:
  - name: slow
    address: 127.0.0.1
    role: web
    services: [{{port: {slow}, protocol: tls}}]
  - name: quick
    address: 127.0.0.2
    role: web
    services: [{{port: {closed}, protocol: tls}}]
"""


def nmap_children(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if child.name() == "nmap" and "127.0.0.1" in child.cmdline():
                found.append(child)
        except psutil.Error:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_signal_during_nmap_stops_the_scan_and_keeps_what_was_learned(
        tmp_path: Path, silent: SilentServer, signum: int, status: int) -> None:
    if find_nmap() is None:
        pytest.skip("nmap is not installed (make installs it)")
    (tmp_path / "inv.yaml").write_text(inventory(silent.port, closed_port()))
    proc = subprocess.Popen(
        [REMPART, "scan", "inv.yaml", "--no-default-rules", "--rules", "saas-baseline",
         "--rules", "network-baseline", "--ports", str(silent.port), "--timeout", "60",
         "--service-budget", "300", "--json", "out.json", "--sarif", "out.sarif", "-q"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        nmaps: list[psutil.Process] = []
        for _ in range(600):  # nmap starts within a second or two; bounded at 60 s
            nmaps = nmap_children(proc.pid)
            if nmaps or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert nmaps, "nmap never started against the slow host"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)  # a mechanism bound, not a speed claim
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = err.decode()
    assert proc.returncode == status, stderr
    assert f"{signal.Signals(signum).name} received" in stderr
    assert "Traceback" not in stderr
    assert not [p.pid for p in nmaps if alive(p.pid)], "nmap outlived the scan"

    result = json.loads((tmp_path / "out.json").read_text())
    assert result["interrupted"] is True
    reports = {s["service"]["host"] + "/" + s["service"]["kind"]: s
               for s in result["services"]}
    slow_facts = reports["slow/service"]["facts"] + reports["slow/host"]["facts"]
    assert slow_facts
    for fact in slow_facts:
        assert_error(fact, ReasonCategory.INTERRUPTED, "the scan was interrupted")
    quick = [f for f in reports["quick/service"]["facts"] if f["status"] == "error"]
    assert quick
    for fact in quick:  # finished: kept as found
        assert_error(fact, ReasonCategory.REFUSED, "refused")
    slow_results = [r for r in result["results"] if r["service"].startswith("slow")]
    assert slow_results and all(r["status"] == "error" for r in slow_results)

    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
