"""Every output format, dispatched exhaustively. Formatters are pure: result in, text out (bytes
for the PDF, which also carries the inventory file as scanned)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import assert_never

from scanner.models import ScanResult


class ReportFormat(StrEnum):
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"
    CONSOLE = "console"
    PDF = "pdf"
    JUNIT = "junit"
    GITLAB = "gitlab"


def render(fmt: ReportFormat, result: ScanResult, *, base_dir: Path, lang: str = "en",
           verbose: bool = False, inventory: tuple[str, bytes] | None = None) -> str | bytes:
    match fmt:
        case ReportFormat.JSON:
            from reports.json_report import render_json

            return render_json(result)
        case ReportFormat.SARIF:
            from reports.sarif import render_sarif

            return render_sarif(result, base_dir=base_dir)
        case ReportFormat.HTML:
            from reports.html import render_html

            return render_html(result, lang=lang)
        case ReportFormat.CONSOLE:
            from reports.console import render_console

            return render_console(result, verbose=verbose, lang=lang)
        case ReportFormat.PDF:
            from reports.pdf import render_pdf

            return render_pdf(result, lang=lang, inventory=inventory)
        case ReportFormat.JUNIT:
            from reports.junit import render_junit

            return render_junit(result)
        case ReportFormat.GITLAB:
            from reports.gitlab import render_gitlab

            return render_gitlab(result, base_dir=base_dir)
        case _:
            assert_never(fmt)


def render_text(fmt: ReportFormat, result: ScanResult, *, base_dir: Path, lang: str = "en",
                verbose: bool = False) -> str:
    """`render` for the text formats (every format but the PDF)."""
    out = render(fmt, result, base_dir=base_dir, lang=lang, verbose=verbose)
    if isinstance(out, bytes):
        raise TypeError(f"{fmt.value} is a binary format")
    return out
