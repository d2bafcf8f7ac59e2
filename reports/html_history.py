"""The HTML report's history section (when the scan was recorded in a history): open findings
by severity over the last scans as a stacked bar chart (inline SVG), and each open finding's
age, with its due date when the inventory sets remediation deadlines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scanner.history.diff import age_of
from scanner.models import ScanResult, Severity, Status

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
CHART_HEIGHT = 160  # plot area, px
COLUMN = 46  # px per scan
LEFT = 36  # room for the axis values


@dataclass(frozen=True)
class Segment:
    severity: Severity
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    when: dt.datetime
    x: float
    total: int
    segments: tuple[Segment, ...]
    label_y: float


@dataclass(frozen=True)
class OpenFinding:
    rule_id: str
    service: str
    severity: Severity
    first_seen: dt.datetime | None
    age_days: int | None
    due: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class HistoryView:
    columns: tuple[Column, ...]
    width: int
    height: int
    top: int  # the largest total, the axis maximum
    bar_width: int
    findings: tuple[OpenFinding, ...]
    severities: tuple[Severity, ...] = SEVERITIES


def history_view(result: ScanResult) -> HistoryView | None:
    if result.history is None or not result.history.points:
        return None
    points = result.history.points
    top = max((sum(p.open_by_severity.values()) for p in points), default=0) or 1
    columns = []
    for i, p in enumerate(points):
        y = float(CHART_HEIGHT + 6)
        segments = []
        for sev in reversed(SEVERITIES):  # info at the bottom, critical on top
            n = p.open_by_severity.get(sev, 0)
            if not n:
                continue
            h = round(CHART_HEIGHT * n / top, 1)
            y = round(y - h, 1)
            segments.append(Segment(sev, n, y, h))
        columns.append(Column(p.started_at, LEFT + i * COLUMN + 8,
                              sum(p.open_by_severity.values()), tuple(segments),
                              CHART_HEIGHT + 22))
    severity = {r.id: r.severity for r in result.rules}
    seen = {tuple(k.split("|", 1)): v for k, v in result.history.first_seen.items()}
    findings = []
    for r in result.results:
        if r.status is not Status.FAIL:
            continue
        key = (r.rule_id, r.service)
        sev = severity.get(r.rule_id, Severity.INFO)
        start, age, due, overdue = age_of(key, sev, seen, result)  # type: ignore[arg-type]
        findings.append(OpenFinding(r.rule_id, r.service, sev, start, age, due, overdue))
    findings.sort(key=lambda f: (not f.overdue, -(f.age_days or 0), -f.severity.rank,
                                 f.service, f.rule_id))
    return HistoryView(columns=tuple(columns), width=LEFT + len(points) * COLUMN + 16,
                       height=CHART_HEIGHT + 32, top=top, bar_width=COLUMN - 16,
                       findings=tuple(findings))
