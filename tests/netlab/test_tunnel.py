"""Probing through an SSH vantage: direct-tcpip channels carry the same probe code, and what
the channel reports (refused, no answer, no forwarding, vantage down) keeps its meaning.

A namespace lab: the router lets the admins zone reach web1:443 (a TLS server that aborts any
handshake carrying an IP address as SNI) and web1:8080 (nothing listens: refused); everything
else is dropped. bastion forwards, nofwd is an sshd with AllowTcpForwarding no.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from scanner.demo.pki import make_ca
from scanner.engine import probe_target, run_probe
from scanner.models import (
    ClientZone,
    NetworkService,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    Vantage,
)
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.http import HttpProbe
from scanner.probes.tls.probe import TlsProbe
from tests.errors import assert_error
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements
from tests.netlab.test_zone_lab import start_tls
from tests.wording_help import how, said

FRONT = frozenset({"http.status", "http.location_scheme", "http.location_same_host"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    why = missing_requirements()
    if why:
        if os.environ.get("REMPART_NETLAB_REQUIRED"):
            pytest.fail(why)
        pytest.skip(why)
    zones = [ZoneSpec("users", root=True), ZoneSpec("admins", vantage=True),
             ZoneSpec("locked", vantage=True, forwarding=False), ZoneSpec("web", {"web1": ()})]
    allow = [Allow(z, "web1", p) for z in ("admins", "locked") for p in (443, 8080)]
    built = Lab(zones, allow, [], tmp_path_factory.mktemp("tunnel"))
    try:
        built.start()
        start_tls(built, "web", "web1", 443, make_ca(built.dir / "pki"), reject_ip_sni=True)
        yield built
    finally:
        built.close()


def sessions(lab: Lab) -> int:
    """Established connections from here to bastion's sshd."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "dst",
                          f"{lab.zones['admins'].mgmt}:22"], capture_output=True, text=True,
                         check=True).stdout
    return len(out.splitlines())


def vantage(lab: Lab, name: str, **change: str | int) -> Vantage:
    zone = {"bastion": "admins", "nofwd": "locked"}[name]
    return Vantage(name=name, address=lab.zones[zone].mgmt or "", port=22, user=lab.user,
                   key_file=str(lab.key), known_hosts=str(lab.known_hosts)
                   ).model_copy(update=change)


def through(lab: Lab, name: str, port: int, protocol: ServiceProtocol,
            companions: tuple[int, ...] = (), budget: float = 20,
            change: dict[str, str | int] | None = None) -> tuple[ProbeTarget, ProbeContext]:
    web1 = NetworkService(host="web1", address=lab.host("web1"), dns_name=None, port=port,
                          protocol=protocol, companion_ports=companions,
                          clients=ClientZone(zone="admins",
                                             vantage=vantage(lab, name, **(change or {}))))
    target = probe_target(web1, web1.address)
    ctx = ProbeContext(timeout=1.0, deadline=time.monotonic() + budget, options=ProbeOptions())
    return target, ctx


def test_tls_probe_runs_over_channels_without_ip_sni(lab: Lab) -> None:
    target, ctx = through(lab, "bastion", 443, ServiceProtocol.HTTPS)
    try:
        (fact,) = run_probe(TlsProbe(), target, frozenset({"tls.protocols"}), ctx)
        assert sessions(lab) == 1  # one SSH session for all the handshakes
    finally:
        ctx.close()
    assert sessions(lab) == 0  # closed with the service: nothing stays forwarded
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple)
    assert {o.value for o in fact.value} == {"TLSv1.2", "TLSv1.3"}
    assert ctx.probed_from.startswith(f"vantage bastion (ssh root@{lab.zones['admins'].mgmt}")
    handshakes = ctx.connections - 1  # the SSH session counts once
    assert 1 <= handshakes <= 10, ctx.connections


def test_refused_and_dropped_ports_keep_their_meaning_through_the_tunnel(lab: Lab) -> None:
    closed, ctx = through(lab, "bastion", 8080, ServiceProtocol.HTTP)
    facts = run_probe(HttpProbe(), closed, FRONT, ctx)
    ctx.close()
    assert {f.status for f in facts} == {ProbeStatus.NOT_APPLICABLE}
    assert facts[0].reason == "port 8080 is closed (connection refused)"
    dropped, ctx = through(lab, "bastion", 80, ServiceProtocol.HTTP, (443,))
    facts = run_probe(HttpProbe(), dropped, FRONT, ctx)
    ctx.close()
    assert {f.status for f in facts} == {ProbeStatus.NOT_APPLICABLE}
    assert facts[0].reason == "filtered" and facts[0].why is not None
    assert said(facts[0].why) == "filtered"
    assert f"{lab.host('web1')}:80 through vantage bastion timed out" in how(facts[0])


@pytest.mark.parametrize(("name", "change", "reason", "category"), [
    ("bastion", {"port": 2222}, "SSH connection to bastion",  # the vantage is down
     ReasonCategory.UNREACHABLE),
    ("nofwd", {}, "vantage nofwd refuses TCP forwarding", ReasonCategory.NOT_PERMITTED),
])
def test_a_vantage_that_cannot_carry_the_probe_is_an_error_not_filtered(
        lab: Lab, name: str, change: dict[str, str | int], reason: str,
        category: ReasonCategory) -> None:
    target, ctx = through(lab, name, 80, ServiceProtocol.HTTP, (443,), change=change)
    facts = run_probe(HttpProbe(), target, FRONT, ctx)
    ctx.close()
    assert facts
    for fact in facts:
        assert_error(fact, category, reason)
        assert fact.why is None or said(fact.why) == fact.reason  # keyed: the same words


def test_the_budget_holds_through_the_tunnel(lab: Lab) -> None:
    target, ctx = through(lab, "bastion", 443, ServiceProtocol.HTTPS, budget=-1)
    (fact,) = run_probe(TlsProbe(), target, frozenset({"tls.protocols"}), ctx)
    assert_error(fact, ReasonCategory.BUDGET_EXHAUSTED, "budget exhausted")
    assert ctx.connections == 0 and ctx.probed_from == "local"  # no SSH session was opened
