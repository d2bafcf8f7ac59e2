"""Curve verdicts with ECDSA certificates (REQ-TLS-08): key exchange apart from the certificate.

Under TLS 1.2 an ECDSA certificate's curve C must be among the groups a client offers (RFC 8422
5.1). Each other curve is offered first with C beside it; the server's pick decides. Which
single-curve clients the certificate shuts out is its own fact.
"""

from __future__ import annotations

import re

import pytest

from scanner.demo.servers import RunningServers
from scanner.engine import run_probe
from scanner.models import Fact, ProbeStatus
from scanner.probes.tls import TlsProbe
from tests.conftest import context, target
from tests.wording_help import how

GROUP_FACTS = frozenset({"tls.protocols", "tls12.groups", "tls12.single_curve_refused"})


def gather(servers: RunningServers, name: str) -> tuple[dict[str, Fact], int]:
    ctx = context()
    facts = {f.name: f for f in run_probe(TlsProbe(), target(servers, name), GROUP_FACTS, ctx)}
    return facts, ctx.connections


def values(fact: Fact) -> list[str]:
    assert fact.status is ProbeStatus.COMPLETED, fact
    assert isinstance(fact.value, tuple)
    return [o.value for o in fact.value]  # type: ignore[union-attr]


def assert_consistent(facts: dict[str, Fact]) -> None:
    """A group the TLS 1.2 version hello negotiated for ECDHE is never reported unusable."""
    tls12 = [o.detail for o in facts["tls.protocols"].value  # type: ignore[union-attr]
             if o.value == "TLSv1.2"]
    match = re.search(r"with TLS_ECDHE_\w+, group (\w+)", tls12[0])
    assert match, tls12
    assert match.group(1) in values(facts["tls12.groups"])
    assert f"{match.group(1)} refused" not in how(facts["tls12.groups"])
    assert f"{match.group(1)}: refused" not in how(facts["tls12.groups"])


@pytest.mark.parametrize(("server", "groups", "not_chosen", "shut_out"), [
    # P-384 certificate, the server's order P-384, P-256, P-521: it always picks P-384
    ("ec384-spref", ["secp384r1"], ["secp256r1", "secp521r1"], ["secp256r1", "secp521r1"]),
    # the same with the client's order: each curve offered first is chosen
    ("ec384-cpref", ["secp256r1", "secp384r1", "secp521r1"], [], ["secp256r1", "secp521r1"]),
    # P-256 certificate, the server's order P-256, P-384, P-521
    ("ec-tls12", ["secp256r1"], ["secp384r1", "secp521r1"], ["secp384r1", "secp521r1"]),
    ("ec-tls12-cpref", ["secp256r1", "secp384r1", "secp521r1"], [],
     ["secp384r1", "secp521r1"]),
    # P-384 certificate with TLS 1.3 too; the version hello (P-256 first) picks P-256
    ("ec384", ["secp256r1", "secp384r1"], ["secp521r1"], ["secp256r1", "secp521r1"]),
])
def test_ecdsa_curves(tls_servers: RunningServers, server: str, groups: list[str],
                      not_chosen: list[str], shut_out: list[str]) -> None:
    facts, connections = gather(tls_servers, server)
    got = facts["tls12.groups"]
    assert values(got) == groups
    for curve in not_chosen:
        assert re.search(rf"{curve} not chosen, server prefers secp\d+r1", how(got)), how(got)
    if not_chosen:
        assert "not proven for " + ", ".join(not_chosen) in how(got)
    else:
        assert "not chosen" not in how(got)
    assert "refused" not in how(got)  # key exchange: never judged by a single-curve hello
    single = facts["tls12.single_curve_refused"]
    assert values(single) == shut_out
    assert all("the certificate is ECDSA on" in o.detail
               for o in single.value)  # type: ignore[union-attr]
    assert_consistent(facts)
    # versions (<= 6) + groups (<= 3 + 1) + single curves (2)
    assert connections <= 6 + 4 + 2


def test_rsa_certificate_binds_no_curve(tls_servers: RunningServers) -> None:
    facts, connections = gather(tls_servers, "pcurves")
    assert values(facts["tls12.groups"]) == ["secp256r1", "secp384r1", "secp521r1"]
    single = facts["tls12.single_curve_refused"]
    assert values(single) == []
    assert "not ECDSA" in how(single)
    assert_consistent(facts)
    assert connections <= 6 + 3  # no hello of its own for the single-curve fact


def test_single_curve_fact_alone_is_not_applicable_without_tls12(
        tls_servers: RunningServers) -> None:
    ctx = context()
    facts = run_probe(TlsProbe(), target(tls_servers, "tls13"),
                      frozenset({"tls12.single_curve_refused"}), ctx)
    assert facts[0].status is ProbeStatus.NOT_APPLICABLE
