"""The terminal summary: a table of what did not pass, totals per status, and the verdict.

Server-supplied text (messages, subjects, banners) is data: it goes into rich `Text` objects,
never through markup, and control characters are replaced before rendering.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reports.sarif import clean, clip
from scanner.models import RuleInfo, RuleResult, ScanResult, Severity, Status, count_by_status
from scanner.verdict import STATUS_ORDER, Verdict, scan_verdict, status_rank

MAX_CELL = 300  # characters of a message cell; the JSON report keeps everything

STATUS_LABEL = {
    Status.FAIL: "fail",
    Status.ERROR: "error",
    Status.NOT_APPLICABLE: "n/a",
    Status.PASS: "pass",
}
STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.NOT_APPLICABLE: "dim",
    Status.PASS: "green",
}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_console(result: ScanResult, *, verbose: bool = False, width: int = 100,
                   color: bool = False) -> str:
    """The summary as text (ANSI styles only when `color`); every result when `verbose`."""
    console = Console(
        file=io.StringIO(), record=True, width=width, color_system="standard" if color else None,
        force_terminal=color, markup=False, emoji=False, highlight=False,
    )
    rules = {r.id: r for r in result.rules}
    shown = [r for r in result.results if verbose or r.status is not Status.PASS]
    shown.sort(key=lambda r: _order(r, rules))
    console.print(_header(result))
    if shown:
        console.print(_table(shown, rules))
    else:
        console.print(Text("Nothing to report: every check passed.", style="green"))
    counts = count_by_status(result.results)
    console.print(totals_line(counts))
    console.print(verdict_line(scan_verdict(result), counts))
    text = console.export_text(styles=color)
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return text


def _order(r: RuleResult, rules: dict[str, RuleInfo]) -> tuple[int, int, str, str]:
    return (status_rank(r.status), -_severity(r, rules).rank, r.service, r.rule_id)


def _severity(r: RuleResult, rules: dict[str, RuleInfo]) -> Severity:
    rule = rules.get(r.rule_id)
    return rule.severity if rule else Severity.INFO


def _header(result: ScanResult) -> Text:
    customer = clean(result.inventory.contract.customer)
    return Text(
        f"Rempart {clean(result.tool_version)} - {customer}: {len(result.services)} services, "
        f"{len(result.rules)} rules, {len(result.results)} checks",
        style="bold",
    )


def _table(shown: list[RuleResult], rules: dict[str, RuleInfo]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, collapse_padding=True)
    table.add_column("service", overflow="fold", max_width=28)
    table.add_column("rule", overflow="fold", max_width=20)
    table.add_column("severity", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=1, min_width=30)
    for r in shown:
        severity = _severity(r, rules)
        table.add_row(
            Text(clean(r.service)),
            Text(clean(r.rule_id)),
            Text(severity.value, style=SEVERITY_STYLE[severity]),
            Text(STATUS_LABEL[r.status], style=STATUS_STYLE[r.status]),
            _message(r),
        )
    return table


def _message(r: RuleResult) -> Text:
    text = Text(clip(clean(r.message), MAX_CELL))
    if r.status is Status.FAIL:
        for ev in r.evidence:
            line = f"{ev.fact}: expected {ev.expected}; actual {ev.actual}"
            text.append("\n" + clip(clean(line), MAX_CELL), style="dim")
    return text


def totals_line(counts: dict[Status, int]) -> Text:
    line = Text("Totals: ")
    for i, status in enumerate(STATUS_ORDER):
        if i:
            line.append(", ")
        label = "not applicable" if status is Status.NOT_APPLICABLE else STATUS_LABEL[status]
        line.append(f"{counts[status]} {label}", style=STATUS_STYLE[status])
    return line


VERDICT_WORD = {
    Verdict.NON_COMPLIANT: ("FAIL", "bold red"),
    Verdict.INCOMPLETE: ("INCOMPLETE", "bold magenta"),
    Verdict.COMPLIANT: ("PASS", "bold green"),
}


def verdict_line(verdict: Verdict, counts: dict[Status, int]) -> Text:
    """The overall verdict (scanner.verdict) and the counts behind it."""
    failed, errors = counts[Status.FAIL], counts[Status.ERROR]
    unchecked = f"{errors} check(s) could not be run"
    if verdict is Verdict.NON_COMPLIANT:
        detail = f"{failed} check(s) failed" + (f", {unchecked}" if errors else "")
    elif verdict is Verdict.INCOMPLETE:
        detail = f"no failure, {unchecked}" if errors else "no failure, but nothing was checked"
    else:
        detail = f"{counts[Status.PASS]} check(s) passed"
    word, style = VERDICT_WORD[verdict]
    return Text(f"Verdict: {word} ({detail})", style=style)
