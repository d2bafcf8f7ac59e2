"""What a new scan learns from the history before it is stored: when each open finding was
first seen, and the open findings by severity over the last scans (for the HTML report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from scanner.history.diff import OPEN
from scanner.history.store import TimelineEntry
from scanner.models import HistoryPoint, ScanHistory, ScanResult, Severity, Status

POINTS = 12  # scans shown in the report's chart, this one included


def with_history(result: ScanResult, timeline: Sequence[TimelineEntry],
                 points: int = POINTS) -> ScanResult:
    """`timeline`: the earlier complete scans of the inventory, oldest first."""
    severity = {r.id: r.severity for r in result.rules}
    now_open = {(r.rule_id, r.service) for r in result.results if r.status in OPEN}
    since: dict[tuple[str, str], dt.datetime] = {}
    for entry in timeline:
        opened = {k for k, (status, _) in entry.findings.items() if status in OPEN}
        since = {k: v for k, v in since.items() if k in opened}
        for key in opened:
            since.setdefault(key, entry.started_at)
    since = {k: v for k, v in since.items() if k in now_open}
    for key in now_open:
        since.setdefault(key, result.started_at)
    chart = [HistoryPoint(scan_id=e.scan_id, started_at=e.started_at,
                          open_by_severity=_by_severity(
                              sev for status, sev in e.findings.values()
                              if status is Status.FAIL))
             for e in list(timeline)[-(points - 1):]]
    chart.append(HistoryPoint(scan_id=None, started_at=result.started_at,
                              open_by_severity=_by_severity(
                                  severity.get(r.rule_id, Severity.INFO) for r in result.results
                                  if r.status is Status.FAIL)))
    history = ScanHistory(points=tuple(chart),
                          first_seen={f"{k[0]}|{k[1]}": v for k, v in sorted(since.items())})
    return result.model_copy(update={"history": history})


def _by_severity(severities: Iterable[Severity]) -> dict[Severity, int]:
    counts: dict[Severity, int] = {}
    for sev in severities:
        counts[sev] = counts.get(sev, 0) + 1
    return counts
