"""Baseline gating: only findings that are not in the baseline (a JSON result or a scan of the
history) fail the gate; --fail-on still applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.demo.servers import RunningServers
from scanner.gate import new_findings_exit
from scanner.models import Severity, Status
from scanner.verdict import ExitCode
from tests.conftest import TlsPki
from tests.reports.sample import make_sample_result
from tests.test_scan_cli import TLS_ONLY, inventory


def test_known_findings_do_not_fail_new_ones_do(tmp_path: Path, tls_servers: RunningServers,
                                                tls_pki: TlsPki,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "h.sqlite")
    common = [*TLS_ONLY, "--ca-file", str(tls_pki.ca.cert_pem), "--db", db, "-q",
              "--timeout", "1"]
    Path("inventory.yaml").write_text(inventory(tls_servers, ("tls10", "https")))
    first = CliRunner().invoke(main, ["scan", "inventory.yaml", *common, "--json", "base.json"])
    assert first.exit_code == 1
    again = CliRunner().invoke(main, ["scan", "inventory.yaml", *common,
                                      "--baseline", "base.json"])
    assert again.exit_code == 0, again.output
    assert "already in the baseline" in again.output
    by_id = CliRunner().invoke(main, ["scan", "inventory.yaml", *common, "--baseline", "1"])
    assert by_id.exit_code == 0, by_id.output

    Path("inventory.yaml").write_text(inventory(tls_servers, ("tls10", "https"),
                                                ("selfsigned", "https")))
    worse = CliRunner().invoke(main, ["scan", "inventory.yaml", *common,
                                      "--baseline", "base.json", "--junit", "r.xml"])
    assert worse.exit_code == 1  # the self-signed certificate is new
    assert Path("r.xml").read_text().count("<failure") >= 2
    high_only = CliRunner().invoke(main, ["report", "base.json", "--baseline", "base.json",
                                          "--fail-on", "high"])
    assert high_only.exit_code == 0


def test_missing_baseline_is_exit_2(tmp_path: Path) -> None:
    from reports.json_report import render_json

    (tmp_path / "r.json").write_text(render_json(make_sample_result()))
    out = CliRunner().invoke(main, ["report", str(tmp_path / "r.json"), "--baseline",
                                    str(tmp_path / "nope.json")])
    assert out.exit_code == 2 and "--baseline" in out.output and "Traceback" not in out.output


def test_new_findings_exit_counts_what_the_baseline_knew() -> None:
    result = make_sample_result()
    code, known = new_findings_exit(result, result, Severity.LOW)
    assert known == sum(r.status is Status.FAIL for r in result.results)
    assert code is ExitCode.INCOMPLETE  # errors still count: unchecked is never green
    fixed = result.model_copy(update={"results": tuple(
        r for r in result.results if r.service != "mail:25/smtp")})
    code, known = new_findings_exit(result, fixed, Severity.LOW)
    assert code is ExitCode.FAILED and known < sum(r.status is Status.FAIL
                                                   for r in result.results)
