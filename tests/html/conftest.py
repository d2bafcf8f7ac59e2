"""Fixtures of the HTML report tests: the shared sample result, rendered once per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.html import render_html
from scanner.models import ScanResult
from tests.reports.sample import make_sample_result


@pytest.fixture(scope="session")
def sample() -> ScanResult:
    return make_sample_result()


@pytest.fixture(scope="session")
def html_en(sample: ScanResult) -> str:
    return render_html(sample)


@pytest.fixture(scope="session")
def html_fr(sample: ScanResult) -> str:
    return render_html(sample, lang="fr")


@pytest.fixture(scope="session")
def report_files(tmp_path_factory: pytest.TempPathFactory, html_en: str,
                 html_fr: str) -> dict[str, Path]:
    """The sample report written to disk in both languages, as a browser would open it."""
    folder = tmp_path_factory.mktemp("html-report")
    files = {"en": folder / "report-en.html", "fr": folder / "report-fr.html"}
    files["en"].write_text(html_en, encoding="utf-8")
    files["fr"].write_text(html_fr, encoding="utf-8")
    return files
