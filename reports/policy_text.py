"""Plain-text lines about exclusions and waivers, shared by the console summary and JUnit."""

from __future__ import annotations

from rich.text import Text

from reports.sarif import clean
from scanner.models import ScanResult, Status, WaiverState
from scanner.waivers import WaiverCounts, waiver_counts

_STATE_STYLE = {WaiverState.ACTIVE: "blue", WaiverState.PENDING: "dim",
                WaiverState.EXPIRED: "bold yellow", WaiverState.STALE: "yellow"}


def counts_text(counts: dict[Status, int]) -> str:
    return (f"{counts[Status.PASS]} pass, {counts[Status.FAIL]} fail, "
            f"{counts[Status.WAIVED]} waived, {counts[Status.ERROR]} error")


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:g}%"


def before_after(wc: WaiverCounts) -> tuple[str, str]:
    return (f"Before waivers: {counts_text(wc.before)} (score {score_text(wc.score_before)})",
            f"After waivers:  {counts_text(wc.after)} (score {score_text(wc.score_after)})")


def policy_lines(result: ScanResult) -> list[Text]:
    """Excluded rules, then (when there are waivers) counts before/after and each waiver."""
    lines: list[Text] = []
    for ex in result.exclusions:
        where = (f" at {clean(ex.location.file)}:{ex.location.line}"
                 if ex.location else "")
        why = f": {clean(ex.reason)}" if ex.reason else ""
        lines.append(Text(f"Excluded rule {clean(ex.rule_id)} ({ex.by}{where}){why}",
                          style="dim"))
    if not result.waivers:
        return lines
    before, after = before_after(waiver_counts(result.results))
    lines += [Text(before), Text(after)]
    for w in result.waivers:
        covered = f", covers {len(w.matched)} finding(s)" if w.matched else ""
        lines.append(Text(
            f"Waiver {clean(w.id)} [{w.state.value}] {clean(w.rule_id)}, approved by "
            f"{clean(w.approver)}, expires {w.expires}{covered}", style=_STATE_STYLE[w.state]))
    return lines
