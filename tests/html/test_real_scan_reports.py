"""Reports of a real scan of the test servers, in both languages: vnu and axe find nothing.

The fixed sample has whole-second times and hand-picked data; a real scan brings microseconds,
errors, STARTTLS, hostile certificate subjects and every certificate defect of the test PKI.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reports.html_format import iso
from scanner.cli import main
from scanner.demo.servers import RunningServers
from tests.conftest import HOSTILE_CN, NAME, TlsPki
from tests.html import tools

SERVICES = (("pcurves", "https"), ("tls10", "https"), ("selfsigned", "https"),
            ("expired", "https"), ("future", "https"), ("hostile", "https"),
            ("weak", "https"), ("smtp", "smtp"), ("silent", "https"))


def _inventory(servers: RunningServers) -> str:
    lines = ["rempart: 1", "contract: {customer: Real scan <b>&amp;</b>, end_date: 2027-01-01}",
             "scope: [127.0.0.0/8]", "hosts:"]
    for name, protocol in SERVICES:
        lines += [f"  - name: {name}", "    address: 127.0.0.1", f"    dns_name: {NAME}",
                  "    services:", f"      - {{port: {servers.port(name)}, protocol: {protocol}}}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def reports(tls_servers: RunningServers, tls_pki: TlsPki,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cwd = tmp_path_factory.mktemp("real-scan")
    (cwd / "inventory.yaml").write_text(_inventory(tls_servers))
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        scan = runner.invoke(main, ["scan", "inventory.yaml", "--ca-file", str(tls_pki.ca.cert_pem),
                                    "--timeout", "1", "-q", "--json", "r.json",
                                    "--html", "report-en.html"])
        assert scan.exit_code == 1, scan.output  # failures, and errors (the silent server)
        again = runner.invoke(main, ["report", "r.json", "--html", "report-fr.html",
                                     "--lang", "fr"])
        assert again.exit_code == 1, again.output
    return {"en": cwd / "report-en.html", "fr": cwd / "report-fr.html"}


def test_reports_hold_the_real_data(reports: dict[str, Path]) -> None:
    for path in reports.values():
        html = path.read_text(encoding="utf-8")
        assert HOSTILE_CN not in html and r"CN=\&lt;script\&gt;alert(1)" in html
        assert "CERT-TRUST-001" in html and "TLS-PROTO-002" in html


def test_real_scan_reports_pass_the_nu_html_checker(reports: dict[str, Path]) -> None:
    tools.require_validator()
    errors = tools.vnu_errors(reports["en"], reports["fr"])
    assert errors == [], "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine')}: {e['message']}" for e in errors[:20])


def test_real_scan_reports_have_no_axe_violation(reports: dict[str, Path],
                                                 tmp_path: Path) -> None:
    tools.require_browser()
    runs: list[dict[str, Any]] = tools.browser_check(tmp_path, reports["en"], reports["fr"])
    assert [run["lang"] for run in runs] == ["en", "fr"]
    for run in runs:
        assert run["axe"] == [], "\n".join(
            f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}" for v in run["axe"])
        assert run["requests"] == [] and run["dialogs"] == [] and run["errors"] == []


def test_time_values_carry_at_most_milliseconds() -> None:
    assert iso(datetime(2026, 12, 1, 15, 12, 52, 408235, tzinfo=UTC)) == \
        "2026-12-01T15:12:52.408Z"
    assert iso(datetime(2026, 12, 1, 15, 12, 52)) == "2026-12-01T15:12:52Z"
    assert iso(date(2027, 6, 30)) == "2027-06-30"
