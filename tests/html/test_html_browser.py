"""The sample report in headless Chromium (axe-core, XSS, network, screenshot, PDF) and vnu.

One browser run serves the whole module; tests skip only when a tool is missing
(.ci/install-html-tools.sh installs them all).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reports import i18n
from reports.html import render_html
from tests.html import tools
from tests.html.png import decode, luminance_variance
from tests.reports.sample import make_large_result


@pytest.fixture(scope="module")
def browser(report_files: dict[str, Path],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tools.require_browser()
    out = tmp_path_factory.mktemp("browser")
    runs = tools.browser_check(out, report_files["en"], report_files["fr"])
    return {run["lang"]: run for run in runs}


LANGS = pytest.mark.parametrize("lang", ["en", "fr"])


@LANGS
def test_no_wcag21_aa_violation(browser: dict[str, dict[str, Any]], lang: str) -> None:
    violations = browser[lang]["axe"]
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in violations)


@LANGS
def test_hostile_text_runs_nothing(browser: dict[str, dict[str, Any]], lang: str) -> None:
    run = browser[lang]
    assert run["dialogs"] == []  # alert(...) from the certificate subject never fired
    assert run["errors"] == []
    assert run["counts"] == {"scripts": 0, "images": 0, "handlers": 0}


@LANGS
def test_nothing_is_requested_from_the_network(browser: dict[str, dict[str, Any]],
                                               lang: str) -> None:
    assert browser[lang]["requests"] == []
    assert browser[lang]["console"] == []  # e.g. no CSP refusal of our own stylesheet
    assert browser[lang]["styled"]  # the stylesheet applies under the CSP


@LANGS
def test_screenshot_shows_a_rendered_report(browser: dict[str, dict[str, Any]],
                                            lang: str) -> None:
    run = browser[lang]
    assert run["lang"] == lang
    assert run["summaryVisible"]
    assert run["summaryHeading"] == i18n.translate(lang, "summary.title")
    top = decode(Path(run["screenshot"]).read_bytes())
    assert (top.width, top.height) == (1280, 900)
    assert luminance_variance(top) > 500  # not a blank page
    summary = decode(Path(run["summaryShot"]).read_bytes())
    assert luminance_variance(summary) > 500
    # the non-compliant verdict box is drawn in its colour (besides its icon and words)
    pink = sum(1 for y in range(0, summary.height, 4) for x in range(0, summary.width, 4)
               if summary.pixel(x, y) == (0xFB, 0xE8, 0xE8))
    assert pink > 100


def test_prints_to_a_multi_page_pdf(browser: dict[str, dict[str, Any]]) -> None:
    pdf = Path(browser["en"]["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages >= 6  # cover and one part per page break at least


def test_nu_html_checker_finds_no_error(report_files: dict[str, Path]) -> None:
    tools.require_validator()
    errors = tools.vnu_errors(report_files["en"], report_files["fr"])
    assert errors == [], "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine')}: {e['message']}" for e in errors[:20])


def test_large_real_shaped_report_is_valid(tmp_path: Path) -> None:
    """~40 hosts with long, hostile names and microsecond times, in both languages."""
    tools.require_validator()
    result = make_large_result()
    files = []
    for lang in ("en", "fr"):
        files.append(tmp_path / f"large-{lang}.html")
        files[-1].write_text(render_html(result, lang=lang), encoding="utf-8")
        assert '<i>"x"</i>' not in files[-1].read_text(encoding="utf-8")  # escaped, not markup
    errors = tools.vnu_errors(*files)
    assert errors == [], "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine')}: {e['message']}" for e in errors[:20])
