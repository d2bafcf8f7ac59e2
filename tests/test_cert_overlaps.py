"""Each certificate defect fails its own rule only: no verdict is counted twice.

Real certificates from the test PKI, served by real loopback servers and scanned end to end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.json_report import load_json
from scanner.cli import main
from scanner.demo.servers import RunningServers
from scanner.models import ScanResult, Status
from scanner.probes.certificate import load_certs, trusted
from tests.conftest import NAME, TlsPki
from tests.wording_help import said

CERT_RULES = ("CERT-PRESENT-001", "CERT-TRUST-001", "CERT-TRUST-002", "CERT-EXPIRY-001",
              "CERT-NAME-001", "CERT-VALID-001", "CERT-KEY-001", "CERT-SIG-001")
# host name in the inventory -> (test server, name the customer uses)
HOSTS = {"good": ("pcurves", NAME), "expired": ("expired", NAME), "future": ("future", NAME),
         "selfsigned": ("selfsigned", NAME), "weak": ("weak", NAME),
         "othername": ("p256", "other.test")}


@pytest.fixture(scope="module")
def result(tls_servers: RunningServers, tls_pki: TlsPki,
           tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    end = dt.date.today() + dt.timedelta(days=30)  # the "future" leaf outlives it, "expired" not
    lines = ["rempart: 1", f"contract: {{customer: Overlaps, end_date: {end.isoformat()}}}",
             "scope: [127.0.0.0/8]", "hosts:"]
    for host, (server, name) in HOSTS.items():
        lines += [f"  - name: {host}", "    address: 127.0.0.1", f"    dns_name: {name}",
                  "    services:", f"      - {{port: {tls_servers.port(server)}, protocol: https}}"]
    folder = tmp_path_factory.mktemp("overlaps")
    (folder / "inventory.yaml").write_text("\n".join(lines) + "\n")
    out = CliRunner().invoke(main, [
        "scan", str(folder / "inventory.yaml"), "--no-default-rules", "--rules", "saas-baseline",
        "--ca-file", str(tls_pki.ca.cert_pem), "--timeout", "2", "-q",
        "--json", str(folder / "r.json")])
    assert out.exit_code == 1, out.output
    return load_json((folder / "r.json").read_text())


def cert_statuses(result: ScanResult, host: str) -> dict[str, Status]:
    got = {r.rule_id: r.status for r in result.results
           if r.service.startswith(f"{host}:") and r.rule_id in CERT_RULES}
    assert set(got) == set(CERT_RULES), got
    return got


def failed(result: ScanResult, host: str) -> set[str]:
    return {rule for rule, st in cert_statuses(result, host).items() if st is Status.FAIL}


def test_a_good_certificate_fails_nothing(result: ScanResult) -> None:
    assert set(cert_statuses(result, "good").values()) == {Status.PASS}


def test_expired_from_a_trusted_ca_is_trusted_but_expired(result: ScanResult) -> None:
    assert failed(result, "expired") == {"CERT-VALID-001", "CERT-EXPIRY-001"}
    assert cert_statuses(result, "expired")["CERT-TRUST-002"] is Status.PASS


def test_not_yet_valid_from_a_trusted_ca_is_trusted_but_not_valid(result: ScanResult) -> None:
    assert failed(result, "future") == {"CERT-VALID-001"}
    assert cert_statuses(result, "future")["CERT-TRUST-002"] is Status.PASS


def test_self_signed_is_not_also_counted_as_untrusted(result: ScanResult) -> None:
    assert failed(result, "selfsigned") == {"CERT-TRUST-001"}
    assert cert_statuses(result, "selfsigned")["CERT-TRUST-002"] is Status.NOT_APPLICABLE


def test_weak_key_and_sha1_signature_fail_their_own_rules_not_trust(result: ScanResult) -> None:
    assert failed(result, "weak") == {"CERT-KEY-001", "CERT-SIG-001"}
    trust = next(r for r in result.results
                 if r.service.startswith("weak:") and r.rule_id == "CERT-TRUST-002")
    assert trust.status is Status.PASS


def test_wrong_host_name_is_not_also_untrusted(result: ScanResult) -> None:
    assert failed(result, "othername") == {"CERT-NAME-001"}


def test_a_weak_leaf_from_an_unknown_ca_stays_untrusted(tls_pki: TlsPki) -> None:
    leaf, *rest = load_certs(Path(tls_pki.weak.chain_pem).read_bytes())
    ok, why = trusted(leaf, rest, None)  # the test CA is not an anchor without --ca-file
    assert not ok and said(why).startswith("untrusted")
    ok, why = trusted(leaf, rest, Path(tls_pki.ca.cert_pem))
    assert ok and "SHA1 signature" in said(why) and "RSA 1024-bit key" in said(why)
