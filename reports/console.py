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

from reports import i18n
from reports.policy_text import policy_lines
from reports.sarif import clean, clip
from reports.wording import Wording, fact_of
from scanner.models import (
    NetworkService,
    RuleInfo,
    RuleResult,
    ScanResult,
    Severity,
    Status,
    Vantage,
    count_by_status,
)
from scanner.verdict import STATUS_ORDER, Verdict, scan_verdict, status_rank

MAX_CELL = 300  # characters of a message cell; the JSON report keeps everything

STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.WAIVED: "blue",
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
                   color: bool = False, lang: str = "en") -> str:
    """The summary as text (ANSI styles only when `color`); every result when `verbose`."""
    words = Wording(i18n.check_lang(lang))
    console = Console(
        file=io.StringIO(), record=True, width=width, color_system="standard" if color else None,
        force_terminal=color, markup=False, emoji=False, highlight=False,
    )
    rules = {r.id: r for r in result.rules}
    shown = [r for r in result.results if verbose or r.status is not Status.PASS]
    shown.sort(key=lambda r: _order(r, rules))
    console.print(_header(result, words))
    if shown:
        console.print(_table(shown, rules, result, words))
    else:
        console.print(Text(words.t("console.nothing"), style="green"))
    counts = count_by_status(result.results)
    console.print(totals_line(counts, words))
    for line in policy_lines(result):
        console.print(line)
    console.print(verdict_line(scan_verdict(result), counts, words))
    text = console.export_text(styles=color)
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return text


def _order(r: RuleResult, rules: dict[str, RuleInfo]) -> tuple[int, int, str, str]:
    return (status_rank(r.status), -_severity(r, rules).rank, r.service, r.rule_id)


def _severity(r: RuleResult, rules: dict[str, RuleInfo]) -> Severity:
    rule = rules.get(r.rule_id)
    return rule.severity if rule else Severity.INFO


def _header(result: ScanResult, words: Wording) -> Text:
    return Text(words.t(
        "console.header", version=clean(result.tool_version),
        customer=clean(result.inventory.contract.customer), services=len(result.services),
        rules=len(result.rules), checks=len(result.results)), style="bold")


def probed_from(result: ScanResult) -> dict[str, str]:
    """Service key -> the SSH vantage it was probed through (services probed from here: none)."""
    out = {}
    for report in result.services:
        subject = report.service
        if isinstance(subject, NetworkService) and subject.clients is not None and \
                isinstance(subject.clients.vantage, Vantage):
            out[subject.key] = subject.clients.vantage.name
    return out


def _table(shown: list[RuleResult], rules: dict[str, RuleInfo], result: ScanResult,
           words: Wording) -> Table:
    via = probed_from(result)
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, collapse_padding=True)
    table.add_column(words.t("console.col.service"), overflow="fold", max_width=28)
    table.add_column(words.t("console.col.rule"), overflow="fold", max_width=20)
    table.add_column(words.t("console.col.severity"), no_wrap=True)
    table.add_column(words.t("console.col.status"), no_wrap=True)
    table.add_column(words.t("console.col.message"), overflow="fold", ratio=1, min_width=30)
    for r in shown:
        severity = _severity(r, rules)
        service = Text(clean(r.service))
        if r.service in via:
            service.append("\n" + words.t("console.probed_from", vantage=clean(via[r.service])),
                           style="dim")
        table.add_row(
            service,
            Text(clean(r.rule_id)),
            Text(words.t(f"severity.{severity.value}").lower(), style=SEVERITY_STYLE[severity]),
            Text(words.t(f"console.status.{r.status.value}"), style=STATUS_STYLE.get(r.status, "")),
            _message(r, result, words),
        )
    return table


def _message(r: RuleResult, result: ScanResult, words: Wording) -> Text:
    """The message, then each condition once (expected and found), then what decided."""
    lines = [words.message(r, result)]
    for ev in r.evidence:
        lines += [words.line(ev), *words.decisive(ev)]
        if ev.unknown is not None:
            lines.append(words.reason(fact_of(result, r, ev.fact)))
    text = Text()
    for line in dict.fromkeys(filter(None, lines)):  # each line once, in order
        text.append(("\n" if text.plain else "") + clip(clean(line), MAX_CELL,
                                                         i18n.raw(words.lang, "console.clipped")))
    return text


def totals_line(counts: dict[Status, int], words: Wording) -> Text:
    line = Text(words.t("console.totals") + " ")
    for i, status in enumerate(s for s in STATUS_ORDER if counts[s] or s is not Status.WAIVED):
        if i:
            line.append(", ")
        line.append(f"{counts[status]} {words.t(f'console.total.{status.value}')}",
                    style=STATUS_STYLE.get(status, ""))
    return line


VERDICT_STYLE = {
    Verdict.NON_COMPLIANT: "bold red",
    Verdict.INCOMPLETE: "bold magenta",
    Verdict.COMPLIANT: "bold green",
}


def verdict_line(verdict: Verdict, counts: dict[Status, int], words: Wording) -> Text:
    """The overall verdict (scanner.verdict) and the counts behind it."""
    failed, errors = counts[Status.FAIL], counts[Status.ERROR]
    lang = words.lang
    unchecked = i18n.ntranslate(lang, "console.unchecked", errors)
    if verdict is Verdict.NON_COMPLIANT:
        detail = i18n.ntranslate(lang, "console.failed", failed) + (
            f", {unchecked}" if errors else "")
    elif verdict is Verdict.INCOMPLETE:
        detail = (words.t("console.no_failure", unchecked=unchecked) if errors
                  else words.t("console.nothing_checked"))
    else:
        detail = i18n.ntranslate(lang, "console.passed", counts[Status.PASS])
    return Text(words.t(f"console.verdict.{verdict.value}", detail=detail),
                style=VERDICT_STYLE[verdict])
