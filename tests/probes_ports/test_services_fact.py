"""`ports.services`: what nmap identified by probing, whatever the port (NET-PORT-003)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from scanner.engine import run_probe
from scanner.models import ExposedHost, Observation, ProbeStatus, ServiceProtocol, Status
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.nmap_runner import INSTALL_HINT, find_nmap
from scanner.probes.ports import PortsProbe
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.probes_ports import Listener, fresh_address, ssh_like


def test_ssh_on_an_unusual_port_is_named_and_judged() -> None:
    if find_nmap() is None:
        pytest.skip(INSTALL_HINT)
    address = fresh_address()
    ssh = Listener(address, 0, ssh_like)  # an SSH banner: nmap names it on any port
    try:
        ctx = ProbeContext(timeout=3.0, deadline=time.monotonic() + 50,
                           options=ProbeOptions(ports=str(ssh.port)))
        target = ProbeTarget(address, 0, ServiceProtocol.HOST, None, address, host="h1")
        facts = {f.name: f for f in run_probe(PortsProbe(),
            target, frozenset({"ports.open", "ports.services"}), ctx)}
    finally:
        ssh.close()
    assert ctx.connections == 1  # one nmap run serves both facts
    services = facts["ports.services"]
    assert services.status is ProbeStatus.COMPLETED
    assert isinstance(services.value, tuple)
    found = {o.value: o.detail for o in services.value if isinstance(o, Observation)}
    assert set(found) == {"ssh"}
    assert found["ssh"].startswith(f"{ssh.port}/tcp ssh OpenSSH")

    rule = next(r for r in build_ruleset([load_pack("network-baseline")]).rules
                if r.info.id == "NET-PORT-003")
    allowed = (f"{ssh.port}/tcp",)  # the port is allowed, the database service is not
    for services_allowed, expected in (((), Status.FAIL), (("ssh",), Status.PASS)):
        host = ExposedHost(host="h1", address=address, dns_name=None, role="db",
                           allowed_ports=allowed, allowed_services=services_allowed)
        dyn = Dynamic(scan_time=dt.datetime.now(dt.UTC), contract_end=None)
        result = evaluate_rule(rule, host, facts, dyn)
        assert result.status is expected, result.message
