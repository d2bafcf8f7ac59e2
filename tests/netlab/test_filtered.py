"""Filtered is not open: a port 80 dropped by a firewall is not applicable ("filtered") when
the host answers on its HTTPS port, and an error when nothing on the host answers (filtered
and down cannot be told apart). A namespace lab: the router drops everything but users ->
web1:443."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest

from scanner.engine import probe_target, run_probe
from scanner.models import NetworkService, ProbeStatus, ReasonCategory, ServiceProtocol, Status
from scanner.probes.base import ProbeContext
from scanner.probes.http import HttpProbe
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements
from tests.wording_help import how

FRONT = frozenset({"http.status", "http.location_scheme", "http.location_same_host"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    why = missing_requirements()
    if why:
        if os.environ.get("REMPART_NETLAB_REQUIRED"):
            pytest.fail(why)
        pytest.skip(why)
    built = Lab([ZoneSpec("users", root=True), ZoneSpec("web", {"web1": (443,), "dead1": ()})],
                [Allow("users", "web1", 443)], [], tmp_path_factory.mktemp("filtered"))
    try:
        built.start()
        yield built
    finally:
        built.close()


def port80(lab: Lab, host: str, companions: tuple[int, ...]) -> NetworkService:
    return NetworkService(host=host, address=lab.host(host), dns_name="www.lab.test", port=80,
                          protocol=ServiceProtocol.HTTP, companion_ports=companions)


def probe(service: NetworkService) -> tuple[list[Status], dict[str, str]]:
    target = probe_target(service, service.address)
    ctx = ProbeContext(timeout=0.5, deadline=time.monotonic() + 20)
    facts = {f.name: f for f in run_probe(HttpProbe(), target, FRONT, ctx)}
    rule = next(r for r in build_ruleset([load_pack("network-baseline")]).rules
                if r.info.id == "NET-HTTP-001")
    result = evaluate_rule(rule, service, facts,
                           Dynamic(scan_time=dt.datetime.now(dt.UTC), contract_end=None))
    assert ctx.connections <= 2 + len(service.companion_ports)
    statuses = [f.status for f in facts.values()]
    return [result.status, *statuses], {"reason": facts["http.status"].reason or "",
                                        "category": str(facts["http.status"].category),
                                        "summary": how(facts["http.status"]),
                                        "evidence": str(result.evidence[0].unknown)}


def test_dropped_port_80_of_a_live_host_is_filtered_not_open(lab: Lab) -> None:
    got, text = probe(port80(lab, "web1", (443,)))
    assert got == [Status.NOT_APPLICABLE] + [ProbeStatus.NOT_APPLICABLE] * 3
    assert text["reason"] == "filtered"
    assert text["evidence"] == "fact_not_applicable"  # the fact's reason: "filtered"
    assert "timed out (no answer: dropped by a firewall) while port 443 of the same host " \
           "accepted a connection: port 80 is filtered, not open" in text["summary"]


def test_dropped_port_80_without_any_answer_is_an_error(lab: Lab) -> None:
    for host, companions in (("dead1", (443,)), ("web1", ())):
        got, text = probe(port80(lab, host, companions))
        assert got == [Status.ERROR] + [ProbeStatus.ERROR] * 3, host
        assert text["category"] == ReasonCategory.TIMEOUT, text
        assert "filtered or down cannot be told apart" in text["reason"]
