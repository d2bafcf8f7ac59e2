"""What nmap really reports behind a router, read by the ports probe (no hand-written XML).

A namespace lab: the router drops everything but users -> web1:443, and answers for `gone1`
with ICMP host-unreachable, as a router does for a host that is not there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from scanner.engine import run_probe
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.nmap_runner import find_nmap
from scanner.probes.ports import FACT, PortsProbe
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements, sh
from tests.wording_help import how


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    why = missing_requirements() or (None if find_nmap() else "nmap is not installed")
    if why:
        if os.environ.get("REMPART_NETLAB_REQUIRED"):
            pytest.fail(why)
        pytest.skip(why)
    built = Lab([ZoneSpec("users", root=True), ZoneSpec("web", {"web1": (443,), "gone1": ()})],
                [Allow("users", "web1", 443)], [], tmp_path_factory.mktemp("nmap-states"))
    try:
        built.start()
        sh("nft", "insert", "rule", "inet", "rmp", "forward", "ip", "daddr", built.host("gone1"),
           "reject", "with", "icmp", "type", "host-unreachable", ns=built.ns("router"))
        yield built
    finally:
        built.close()


def scan(address: str, ports: str) -> Fact:
    ctx = ProbeContext(timeout=3.0, deadline=time.monotonic() + 60,
                       options=ProbeOptions(ports=ports))
    target = ProbeTarget(address, 0, ServiceProtocol.HOST, None, address, host="h")
    [fact] = run_probe(PortsProbe(), target, frozenset({FACT}), ctx, {})
    return fact


def test_dropped_ports_are_filtered_not_an_error(lab: Lab) -> None:
    fact = scan(lab.host("web1"), "443,8443,5432")
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple) and [o.value for o in fact.value] == ["443/tcp"]
    assert "3 scanned, 1 open, 2 filtered, 0 closed" in how(fact)


def test_icmp_host_unreachable_is_an_error(lab: Lab) -> None:
    address = lab.host("gone1")
    fact = scan(address, "1-3")
    assert (fact.status, fact.category) == (ProbeStatus.ERROR, ReasonCategory.UNREACHABLE)
    assert f"{address} is unreachable (ICMP host-unreach" in (fact.reason or "")
