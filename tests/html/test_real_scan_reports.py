"""Reports of a real scan of the test servers, in both languages: vnu and axe find nothing in the
HTML; the PDF, opened with poppler, has pages, headers and footers, an outline, every failed
requirement, and attachments that extract to the very files scanned.

The fixed sample has whole-second times and hand-picked data; a real scan brings microseconds,
errors, STARTTLS, hostile certificate subjects and every certificate defect of the test PKI.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reports.html_format import iso
from reports.json_report import load_json
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
                                    "--html", "report-en.html", "--pdf", "report-en.pdf"])
        assert scan.exit_code == 1, scan.output  # failures, and errors (the silent server)
        again = runner.invoke(main, ["report", "r.json", "--html", "report-fr.html",
                                     "--pdf", "report-fr.pdf", "--lang", "fr",
                                     "--inventory", "inventory.yaml"])
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


# The PDF (scan --pdf in English, report --pdf in French)

POPPLER = ("pdfinfo", "pdftotext", "pdfdetach", "pdftohtml")


def poppler(*args: str) -> str:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/install-system-deps.sh")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return proc.stdout


@pytest.fixture(scope="module")
def folder(reports: dict[str, Path]) -> Path:
    return reports["en"].parent


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_opens_paginated_with_headers_and_footers(folder: Path, lang: str) -> None:
    pdf = folder / f"report-{lang}.pdf"
    info = poppler("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert pages >= 5
    assert re.search(r"^Title:.*Real scan <b>&amp;</b>", info, re.M)
    assert 'pdfaid:part="3"' in poppler("pdfinfo", "-meta", str(pdf))  # PDF/A-3
    second = poppler("pdftotext", "-f", "2", "-l", "2", str(pdf), "-")
    page_of = {"en": f"Page 2 of {pages}", "fr": f"Page 2 sur {pages}"}[lang]
    assert page_of in second
    assert "Real scan <b>&amp;</b>" in second  # the estate, as text
    started = load_json((folder / "r.json").read_text()).started_at
    assert str(started.year) in second  # the scan date in the header


def test_outline_follows_the_headings(folder: Path) -> None:
    xml = poppler("pdftohtml", "-xml", "-i", "-q", "-l", "1", "-stdout",
                  str(folder / "report-en.pdf"))
    outline = re.findall(r"<item page=\"\d+\">([^<]+)</item>", xml)
    for heading in ("Compliance audit report", "Executive summary",
                    "Statement of applicability and coverage", "Findings"):
        assert heading in outline


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_holds_every_failed_requirement(folder: Path, lang: str) -> None:
    result = load_json((folder / "r.json").read_text())
    failed = {q for r in result.results if r.status.value == "fail"
              for q in result.rule(r.rule_id).requirements}
    assert len(failed) >= 5
    text = poppler("pdftotext", str(folder / f"report-{lang}.pdf"), "-")
    assert failed <= set(re.findall(r"REQ-[A-Z]+-\d+", text))
    assert "REQ-HST-01" in text  # not covered, and said so


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_attachments_extract_to_the_same_bytes(folder: Path, lang: str,
                                               tmp_path: Path) -> None:
    pdf = folder / f"report-{lang}.pdf"
    poppler("pdfdetach", "-saveall", "-o", str(tmp_path), str(pdf))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yaml", "result.json"]
    assert (tmp_path / "inventory.yaml").read_bytes() == (folder / "inventory.yaml").read_bytes()
    attached = (tmp_path / "result.json").read_bytes()
    assert attached == (folder / "r.json").read_bytes()  # what `--json` wrote
    assert "coverage" in json.loads(attached)
    cover = re.sub(r"\s+", "", poppler("pdftotext", "-l", "2", str(pdf), "-"))
    for name in ("inventory.yaml", "result.json"):
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() in cover
