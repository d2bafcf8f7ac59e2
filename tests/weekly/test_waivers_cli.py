"""End to end: `rempart scan --waivers --skip-rule` and a pack override against a real server;
waivers and exclusions appear in the JSON, SARIF, HTML and console outputs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from reports.json_report import load_json
from scanner.cli import main
from scanner.demo.servers import RunningServers
from scanner.models import Status, WaiverState
from tests.conftest import TlsPki
from tests.test_scan_cli import TLS_ONLY, inventory
from tests.weekly.test_waivers import SARIF_SCHEMA

WAIVERS = """\
rempart: 1
waivers:
  - id: W-TLS10
    rule: TLS-PROTO-002
    hosts: [tls10]
    justification: the legacy client base still needs TLS 1.0 until March
    approver: Jane Roe (CISO)
    start: 2020-01-01
    expires: 2099-03-31
    risk: medium
  - id: W-OLD
    rule: TLS-PROTO-003
    hosts: [tls10]
    justification: expired long ago
    approver: John Doe
    start: 2020-01-01
    expires: 2020-02-01
    risk: low
"""
PACK = """\
rempart: 1
pack: {id: local, version: "1", title: Local}
rules: []
overrides:
  - {rule: CERT-SIG-001, enabled: false, reason: legacy appliance signs with SHA-1}
"""


def test_waivers_and_exclusions_in_every_output(tmp_path: Path, tls_servers: RunningServers,
                                                tls_pki: TlsPki,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("inventory.yaml").write_text(inventory(tls_servers, ("tls10", "https")))
    Path("waivers.yaml").write_text(WAIVERS)
    Path("local.yaml").write_text(PACK)
    out = CliRunner().invoke(main, [
        "scan", "inventory.yaml", *TLS_ONLY, "--rules", "local.yaml", "--ca-file",
        str(tls_pki.ca.cert_pem), "--waivers", "waivers.yaml", "--skip-rule", "CERT-KEY-001",
        "--json", "r.json", "--sarif", "r.sarif", "--html", "r.html", "--timeout", "1"])
    result = load_json(Path("r.json").read_text())
    by_rule = {r.rule_id: r for r in result.results}
    assert by_rule["TLS-PROTO-002"].status is Status.WAIVED
    assert by_rule["TLS-PROTO-002"].waiver == "W-TLS10"
    assert by_rule["TLS-PROTO-003"].status is Status.FAIL  # its waiver expired
    assert "CERT-SIG-001" not in by_rule and "CERT-KEY-001" not in by_rule
    assert {(e.rule_id, e.by) for e in result.exclusions} == {
        ("CERT-SIG-001", "pack"), ("CERT-KEY-001", "skip-rule")}
    assert {w.id: w.state for w in result.waivers} == {
        "W-TLS10": WaiverState.ACTIVE, "W-OLD": WaiverState.EXPIRED}
    assert out.exit_code == 1  # TLS-PROTO-003 still fails
    sarif = json.loads(Path("r.sarif").read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(sarif)
    waived = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in waived] == ["TLS-PROTO-002"]
    assert "legacy client base" in waived[0]["suppressions"][0]["justification"]
    html = Path("r.html").read_text()
    assert 'id="waivers"' in html and "Jane Roe (CISO)" in html and "March 31, 2099" in html
    assert "legacy appliance signs with SHA-1" in html
    assert "Before waivers:" in out.output and "After waivers:" in out.output
    assert "Excluded rule CERT-KEY-001 (skip-rule)" in out.output

    # the same result re-rendered with the waiver withdrawn: the failure is back
    Path("none.yaml").write_text("rempart: 1\nwaivers: []\n")
    again = CliRunner().invoke(main, ["report", "r.json", "--waivers", "none.yaml",
                                      "--json", "r2.json"])
    assert again.exit_code == 1
    redone = load_json(Path("r2.json").read_text())
    assert {r.rule_id: r.status for r in redone.results}["TLS-PROTO-002"] is Status.FAIL


def test_only_waived_failures_pass_the_gate(tmp_path: Path, tls_servers: RunningServers,
                                            tls_pki: TlsPki,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("inventory.yaml").write_text(inventory(tls_servers, ("tls10", "https")))
    Path("w.yaml").write_text(WAIVERS.replace("2020-02-01", "2099-02-01"))
    out = CliRunner().invoke(main, ["scan", "inventory.yaml", *TLS_ONLY, "--ca-file",
                                    str(tls_pki.ca.cert_pem), "--waivers", "w.yaml", "-q",
                                    "--json", "r.json", "--timeout", "1"])
    result = load_json(Path("r.json").read_text())
    assert not [r for r in result.results if r.status is Status.FAIL]
    assert out.exit_code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--skip-rule", "NOPE-001"], "--skip-rule:1:1: skip-rule: unknown rule NOPE-001"),
    (["--waivers", "bad.yaml"], "bad.yaml:4:11: waivers[0].rule: unknown rule NOPE-002"),
])
def test_bad_policy_input_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(WAIVERS.replace("rule: TLS-PROTO-002", "rule: NOPE-002"))
    out = CliRunner().invoke(main, ["scan", "--target", "127.0.0.1:1/https", *TLS_ONLY, *args])
    assert out.exit_code == 2
    assert message in out.output and "Traceback" not in out.output
