"""End to end: `rempart scan` against real loopback servers, reports and exit statuses."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from reports.json_report import load_json
from reports.wording import Wording
from scanner.cli import main
from scanner.demo.servers import RunningServers
from scanner.models import (
    ListValue,
    MessageKey,
    NetworkService,
    ReasonCategory,
    ScanResult,
    Status,
    Unknown,
)
from tests.conftest import NAME, TlsPki
from tests.errors import assert_error, assert_rule_error, rule_result

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = json.loads((ROOT / "reports/schema/sarif-schema-2.1.0.json").read_text())
RESULT_SCHEMA = json.loads((ROOT / "reports/schema/result.schema.json").read_text())
TLS_ONLY = ["--no-default-rules", "--rules", "saas-baseline"]


def inventory(servers: RunningServers, *entries: tuple[str, str]) -> str:
    lines = ["rempart: 1", "contract: {customer: Test, end_date: 2027-01-01}",
             "scope: [127.0.0.0/8]", "hosts:"]
    for name, protocol in entries:
        lines += [f"  - name: {name}", "    address: 127.0.0.1", f"    dns_name: {NAME}",
                  "    services:", f"      - {{port: {servers.port(name)}, protocol: {protocol}}}"]
    return "\n".join(lines) + "\n"


def scan(tmp_path: Path, inv: str, *extra: str) -> tuple[Result, ScanResult, dict[str, Any]]:
    cwd = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    cwd.mkdir()
    (cwd / "inventory.yaml").write_text(inv)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        out = CliRunner().invoke(main, ["scan", "inventory.yaml", "--json", "r.json", "--sarif",
                                        "r.sarif", "--timeout", "1", "-q", *extra])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    text = (cwd / "r.json").read_text()
    jsonschema.validate(json.loads(text), RESULT_SCHEMA)
    sarif = json.loads((cwd / "r.sarif").read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    return out, load_json(text), sarif


def statuses(result: ScanResult, service: str) -> dict[str, Status]:
    return {r.rule_id: r.status for r in result.results if r.service.startswith(service + ":")}


def test_compliant_service_exits_0(tmp_path: Path, tls_servers: RunningServers,
                                   tls_pki: TlsPki) -> None:
    out, result, sarif = scan(tmp_path, inventory(tls_servers, ("pcurves", "https")),
                              *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem))
    got = statuses(result, "pcurves")
    assert set(got.values()) == {Status.PASS}, got
    assert out.exit_code == 0
    chain = result.services[0].fact("cert.chain")  # no rule needs it: gathered for the report
    assert chain is not None and isinstance(chain.value, tuple) and len(chain.value) == 2
    assert sarif["runs"][0]["results"] == []


def test_failures_exit_1_with_evidence_and_sarif_locations(
        tmp_path: Path, tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    inv = inventory(tls_servers, ("tls10", "https"), ("selfsigned", "https"))
    out, result, sarif = scan(tmp_path, inv, *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem))
    assert out.exit_code == 1
    tls10 = statuses(result, "tls10")
    assert tls10["TLS-PROTO-002"] is Status.FAIL and tls10["TLS-PROTO-003"] is Status.FAIL
    assert statuses(result, "selfsigned")["CERT-TRUST-001"] is Status.FAIL
    finding = next(r for r in result.results
                   if r.rule_id == "TLS-PROTO-002" and r.status is Status.FAIL)
    actual = finding.evidence[0].actual
    assert isinstance(actual, ListValue) and "TLSv1.0" in actual.items
    assert [o.value for o in finding.evidence[0].decisive] == ["TLSv1.0"]
    located = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "TLS-PROTO-002"]
    phys = located[0]["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "inventory.yaml"
    assert phys["region"]["startLine"] == 9  # the tls10 service line


def test_fail_on_threshold(tmp_path: Path, tls_servers: RunningServers,
                           tls_pki: TlsPki) -> None:
    inv = inventory(tls_servers, ("p256", "https"))  # only medium rules fail (P-384/P-521)
    out, result, _ = scan(tmp_path, inv, *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem),
                          "--fail-on", "high")
    assert statuses(result, "p256")["TLS-GROUP-002"] is Status.FAIL
    assert out.exit_code == 0
    out, _, _ = scan(tmp_path, inv, *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem),
                     "--fail-on", "medium")
    assert out.exit_code == 1


@pytest.mark.parametrize(("dead", "category", "detail"), [
    ("silent", ReasonCategory.TIMEOUT, "timed out"),
    ("garbage", ReasonCategory.PROTOCOL_ERROR, "not a TLS record"),
    ("reset", ReasonCategory.RESET, "reset"),
])
def test_unreachable_service_is_error_never_pass(tmp_path: Path, tls_servers: RunningServers,
                                                 tls_pki: TlsPki, dead: str,
                                                 category: ReasonCategory, detail: str) -> None:
    inv = inventory(tls_servers, ("pcurves", "https"), (dead, "https"))
    out, result, sarif = scan(tmp_path, inv, *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem))
    got = statuses(result, dead)
    assert got and set(got.values()) <= {Status.ERROR, Status.NOT_APPLICABLE}, got
    for rr in result.results:
        if rr.service.startswith(dead + ":") and rr.status is Status.ERROR:
            assert_rule_error(result, rr, category, detail)
    assert Status.PASS not in got.values()
    assert set(statuses(result, "pcurves").values()) == {Status.PASS}
    assert out.exit_code == 3
    kinds = {r["kind"] for r in sarif["runs"][0]["results"]}
    assert kinds == {"open"}


def test_closed_port_is_error(tmp_path: Path, tls_servers: RunningServers) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inv = inventory(tls_servers, ("pcurves", "https")).replace(
        f"port: {tls_servers.port('pcurves')}", f"port: {port}")
    out, result, _ = scan(tmp_path, inv, *TLS_ONLY)
    assert out.exit_code == 3
    errors = [r for r in result.results if r.status is Status.ERROR]
    assert errors and all(r.message.key is MessageKey.UNCHECKED for r in errors)
    for rr in errors:
        assert_rule_error(result, rr, ReasonCategory.REFUSED, "refused")
    words = Wording("en")
    assert all("refused" in words.summary(r, result) for r in errors)


def test_only_the_needed_probes_run(tmp_path: Path, tls_servers: RunningServers) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "rempart: 1\npack: {id: mine, version: '1', title: Mine}\n"
        "sources: {P: {title: Policy}}\n"
        "requirements: {REQ-TLS-01: {text: old protocols refused, source: P}}\n"
        "rules:\n  - id: MY-PROTO-001\n    title: no SSL\n    severity: high\n"
        "    requirements: [REQ-TLS-01]\n    check: {fact: tls.protocols, none_of: [SSLv3]}\n"
        "    rationale: r\n    remediation: m\n")
    _, result, _ = scan(tmp_path, inventory(tls_servers, ("pcurves", "https")),
                        "--no-default-rules", "--rules", str(pack))
    report = result.services[0]
    assert [p.probe for p in report.probes] == ["tls"]
    assert report.probes[0].connections <= 6
    assert [f.name for f in report.facts] == ["tls.protocols"]


def test_ip_target_sends_no_sni_and_resolves_nothing(
        tls_servers: RunningServers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"DNS lookup attempted: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_dns)
    port = tls_servers.port("rejectip")  # aborts handshakes that carry an IP as SNI
    runner = CliRunner()
    out = runner.invoke(main, ["scan", "--target", f"127.0.0.1:{port}/https", *TLS_ONLY,
                               "--json", str(tmp_path / "r.json"), "-q"])
    result = load_json((tmp_path / "r.json").read_text())
    got = statuses(result, "target1")
    assert got["TLS-PROTO-003"] is Status.PASS, out.output
    assert got["CERT-EXPIRY-001"] is Status.ERROR  # no --contract-end: cannot be checked
    expiry = rule_result(result, "CERT-EXPIRY-001", "target1:")
    assert [(e.reference, e.unknown) for e in expiry.evidence
            if e.unknown is not None] == [("contract.end_date", Unknown.REFERENCE_MISSING)]


def test_report_command_rerenders_without_network(tmp_path: Path, tls_servers: RunningServers,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    inv = inventory(tls_servers, ("tls10", "https"))
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    Path("inventory.yaml").write_text(inv)
    runner.invoke(main, ["scan", "inventory.yaml", *TLS_ONLY, "--json", "r.json", "-q"])
    out = runner.invoke(main, ["report", "r.json", "--html", "r.html", "--sarif", "r.sarif",
                               "--lang", "fr"])
    assert out.exit_code == 1  # the result holds failures
    html = Path("r.html").read_text()
    assert '<html lang="fr"' in html and "TLS-PROTO-002" in html
    bad = runner.invoke(main, ["report", "inventory.yaml", "--html", "x.html"])
    assert bad.exit_code == 2 and "not a Rempart JSON result" in bad.output


def test_named_target_is_resolved_then_scope_checked(tls_servers: RunningServers,
                                                     tmp_path: Path) -> None:
    port = tls_servers.port("pcurves")
    outside = CliRunner().invoke(main, ["scan", "--target", f"localhost:{port}/https",
                                        "--scope", "198.51.100.0/24", *TLS_ONLY, "-q",
                                        "--json", str(tmp_path / "out.json")])
    # a name resolving outside the scope is that host's error (exit 3), and nothing is sent
    assert outside.exit_code == 3, outside.output
    denied = load_json((tmp_path / "out.json").read_text())
    assert denied.services[0].probes == ()
    assert {f.category for f in denied.services[0].facts} == {ReasonCategory.OUT_OF_SCOPE}
    assert all("localhost resolves to" in (f.reason or "") and "outside the declared scope" in
               (f.reason or "") for f in denied.services[0].facts)
    inside = CliRunner().invoke(main, ["scan", "--target", f"localhost:{port}/https",
                                       *TLS_ONLY, "-q", "--json", str(tmp_path / "r.json")])
    result = load_json((tmp_path / "r.json").read_text())
    assert statuses(result, "target1")["TLS-PROTO-003"] is Status.PASS, inside.output


def test_https_target_gets_its_port_80_checked(tmp_path: Path) -> None:
    from tests.listener import Listener
    from tests.probes_ports import fresh_address

    address = fresh_address((80,))  # a loopback address of its own: concurrent runs differ

    def redirect(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://"
                     + address.encode() + b"/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    web = Listener(address, 80, redirect)  # the https port itself is closed: an error
    try:
        out = CliRunner().invoke(main, ["scan", "--target", f"{address}:8443/https",
                                        "--no-default-rules", "--rules", "network-baseline",
                                        "--timeout", "1", "--json", str(tmp_path / "r.json"),
                                        "-q"])
    finally:
        web.close()
    result = load_json((tmp_path / "r.json").read_text())
    port80 = {r.rule_id: r for r in result.results if r.service == "target1:80/http"}
    assert port80["NET-HTTP-001"].status is Status.PASS, out.output
    port80_subject = result.service("target1:80/http").service
    assert isinstance(port80_subject, NetworkService)
    assert port80_subject.companion_ports == (8443,)
    assert web.connections == 1


def test_summary_in_the_report_language(tmp_path: Path, tls_servers: RunningServers,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("inventory.yaml").write_text(inventory(tls_servers, ("tls10", "https")))
    out = CliRunner().invoke(main, ["scan", "inventory.yaml", *TLS_ONLY, "--timeout", "1",
                                    "--lang", "fr"])
    assert out.exit_code == 1, out.output
    lines = out.output.strip().splitlines()
    assert lines[-1].startswith("Verdict\u00a0: NON CONFORME ("), lines[-1]
    assert "tls.protocols\u00a0: attendu aucun de " in out.output
    assert "expected" not in out.output and "found" not in out.output


def test_one_unresolvable_host_is_an_error_while_the_others_are_scanned(
        tls_servers: RunningServers, tls_pki: TlsPki, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def no_such_name(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "gone.example.com":  # no resolver is asked: the failure is simulated
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    inv = inventory(tls_servers, ("pcurves", "https")) + (
        "  - name: gone\n    dns_name: gone.example.com\n"
        "    services:\n      - {port: 443, protocol: https}\n")
    out, result, _ = scan(tmp_path, inv, *TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem))
    assert out.exit_code == 3, [(r.rule_id, r.service, r.status) for r in result.results
                                if r.status is Status.FAIL]
    assert set(statuses(result, "pcurves").values()) == {Status.PASS}
    gone = statuses(result, "gone")
    assert gone and set(gone.values()) == {Status.ERROR}
    report = next(s for s in result.services if s.service.host == "gone")
    assert report.probes == ()  # nothing was sent anywhere for it
    assert report.facts
    for fact in report.facts:
        assert_error(fact, ReasonCategory.UNRESOLVABLE, "cannot resolve gone.example.com")
    for rr in result.results:
        if rr.service.startswith("gone:"):
            assert_rule_error(result, rr, ReasonCategory.UNRESOLVABLE, "host gone: cannot resolve")
    assert all("cannot resolve gone.example.com" in (f.reason or "") for f in report.facts)
