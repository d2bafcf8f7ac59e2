"""Every output format, dispatched exhaustively. Formatters are pure: result in, text out."""

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


def render(fmt: ReportFormat, result: ScanResult, *, base_dir: Path, lang: str = "en",
           verbose: bool = False) -> str:
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
        case _:
            assert_never(fmt)
