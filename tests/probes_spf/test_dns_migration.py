"""REQ-NET-07: the declared DNS name resolves (A and AAAA) to the declared address, checked
against a real DNS server on loopback (the SPF tests' dnslib server) and through a whole scan."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.engine import run_probe
from scanner.models import Fact, NetworkService, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.dns_migration import DnsMigrationProbe
from tests.errors import assert_error
from tests.probes_spf.dns_server import LocalDnsServer
from tests.wording_help import how

ZONE = {
    "moved.test": [("A", "127.0.0.1")],
    "stale.test": [("A", "198.51.100.7")],
    "dual.test": [("A", "127.0.0.1"), ("AAAA", "2001:db8::7")],
}
WANTED = frozenset({"dns.addresses"})


@pytest.fixture(scope="module")
def server() -> Iterator[LocalDnsServer]:
    s = LocalDnsServer(ZONE, silent=["silent.test"], servfail=["servfail.test"]).start()
    yield s
    s.stop()


def probe(server: LocalDnsServer, name: str | None, declared: bool = True,
          timeout: float = 2.0) -> Fact:
    ctx = ProbeContext(timeout=timeout, deadline=time.monotonic() + 10,
                       options=ProbeOptions(dns_server=server.address))
    subject = NetworkService(host="web", address="127.0.0.1" if declared else None,
                             dns_name=name, port=443, protocol=ServiceProtocol.HTTPS)
    t = ProbeTarget("127.0.0.1", 443, ServiceProtocol.HTTPS, name, name or "127.0.0.1",
                    host="web", subject=subject)
    [fact] = run_probe(DnsMigrationProbe(), t, WANTED, ctx, {})
    return fact


def values(fact: Fact) -> list[str]:
    assert fact.status is ProbeStatus.COMPLETED, fact
    return [o.value for o in fact.value]  # type: ignore[union-attr]


def test_a_and_aaaa_are_asked(server: LocalDnsServer) -> None:
    server.clear()
    fact = probe(server, "dual.test")
    assert values(fact) == ["127.0.0.1", "2001:db8::7"]
    assert {(q.name.rstrip("."), q.rtype) for q in server.queries} >= {
        ("dual.test", "A"), ("dual.test", "AAAA")}
    assert "AAAA: 2001:db8::7" in how(fact)


def test_nxdomain_is_an_answer(server: LocalDnsServer) -> None:
    fact = probe(server, "gone.test")
    assert values(fact) == []
    assert "NXDOMAIN" in how(fact)


@pytest.mark.parametrize(("name", "category", "detail"), [
    ("servfail.test", ReasonCategory.UNRESOLVABLE, "SERVFAIL"),
    ("silent.test", ReasonCategory.TIMEOUT, "timed out"),
])
def test_resolver_failures_are_errors(server: LocalDnsServer, name: str,
                                      category: ReasonCategory, detail: str) -> None:
    fact = probe(server, name, timeout=0.5)
    assert_error(fact, category, detail)


def test_not_applicable_without_both_name_and_address(server: LocalDnsServer) -> None:
    assert probe(server, None).status is ProbeStatus.NOT_APPLICABLE
    assert probe(server, "moved.test", declared=False).status is ProbeStatus.NOT_APPLICABLE


_HOST = ("  - {name: {n}, address: 127.0.0.1, dns_name: {n}.test, "
         "services: [{port: {port}, protocol: tls}]}")
INVENTORY = "\n".join([
    "rempart: 1", "contract: {customer: Test}", "scope: [127.0.0.0/8]", "hosts:",
    *(_HOST.replace("{n}", n).replace("{port}", str(port))
      for port, n in enumerate(("moved", "stale", "dual"), start=1)), ""])


def test_scan_judges_dns_migration(server: LocalDnsServer, tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(INVENTORY)  # nothing listens on ports 1-3: the dns probe only asks DNS
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, [
        "scan", str(inv), "--no-default-rules", "--rules", "dns-migration",
        "--dns-server", server.address, "--json", str(out)])
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text())
    status = {r["service"]: r["status"] for r in data["results"] if r["rule_id"] == "DNS-MIGR-001"}
    assert status == {"moved:1/tls": "pass", "stale:2/tls": "fail", "dual:3/tls": "fail"}
    stale = next(r for r in data["results"] if r["service"] == "stale:2/tls")
    assert "198.51.100.7" in json.dumps(stale["evidence"])
