"""What changed between two scans of an inventory, and how old each open finding is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scanner.models import RuleResult, ScanResult, Severity, Status

Key = tuple[str, str]  # (rule ID, service key)
OPEN = (Status.FAIL, Status.WAIVED)  # a finding: failing, accepted or not


class Change(StrEnum):
    NEW = "new"  # open now, not open before
    FIXED = "fixed"  # open before, passes (or no longer applies) now
    STILL_FAILING = "still_failing"  # open in both, same status and evidence
    CHANGED = "changed"  # open before and now different (status, evidence), or not checked


@dataclass(frozen=True)
class DiffEntry:
    change: Change
    rule_id: str
    service: str
    severity: Severity
    old: Status | None
    new: Status | None
    message: str
    first_seen: dt.datetime | None  # open findings only
    age_days: int | None
    due: dt.date | None  # first seen + the inventory's deadline for its severity
    overdue: bool


def text_of(rr: RuleResult, result: ScanResult | None = None) -> str:
    """A result in English words (the history and the CI outputs are English)."""
    from reports.wording import Wording

    return Wording("en").summary(rr, result)


def first_seen(history: Sequence[ScanResult]) -> dict[Key, dt.datetime]:
    """For each finding open in the last scan of `history` (oldest first, complete scans of
    one inventory), when its current run of open scans began."""
    since: dict[Key, dt.datetime] = {}
    for result in history:
        open_now = {(r.rule_id, r.service) for r in result.results if r.status in OPEN}
        since = {k: v for k, v in since.items() if k in open_now}
        for key in open_now:
            since.setdefault(key, result.started_at)
    return since


def age_of(key: Key, severity: Severity, seen: dict[Key, dt.datetime], now: ScanResult
           ) -> tuple[dt.datetime | None, int | None, dt.date | None, bool]:
    start = seen.get(key)
    if start is None:
        return None, None, None, False
    age = (now.started_at.date() - start.date()).days
    days = now.inventory.operations.remediation_days.get(severity)
    due = start.date() + dt.timedelta(days=days) if days is not None else None
    return start, age, due, due is not None and now.started_at.date() > due


def diff_scans(old: ScanResult, new: ScanResult, history: Sequence[ScanResult] = ()
               ) -> list[DiffEntry]:
    """Entries for every finding open in either scan; `history` (oldest first, ending with
    `new`) dates the open ones (default: the two scans alone)."""
    seen = first_seen(history or (old, new))
    severity = {r.id: r.severity for r in (*old.rules, *new.rules)}
    before = {(r.rule_id, r.service): r for r in old.results}
    after = {(r.rule_id, r.service): r for r in new.results}
    out: list[DiffEntry] = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        change = _change(a, b)
        if change is None:
            continue
        shown = b or a
        assert shown is not None  # the key came from one of them
        sev = severity.get(key[0], Severity.INFO)
        start, age, due, overdue = age_of(key, sev, seen, new) if b and b.status in OPEN \
            else (None, None, None, False)
        out.append(DiffEntry(change=change, rule_id=key[0], service=key[1], severity=sev,
                             old=a.status if a else None, new=b.status if b else None,
                             message=text_of(a if change is Change.FIXED and a else shown,
                                             old if change is Change.FIXED and a else new),
                             first_seen=start, age_days=age, due=due, overdue=overdue))
    order = list(Change)
    out.sort(key=lambda e: (order.index(e.change), -e.severity.rank, e.service, e.rule_id))
    return out


def _change(a: RuleResult | None, b: RuleResult | None) -> Change | None:
    was = a is not None and a.status in OPEN
    now = b is not None and b.status in OPEN
    if now and not was:
        return Change.NEW
    if was and not now:
        ok = b is not None and b.status in (Status.PASS, Status.NOT_APPLICABLE)
        return Change.FIXED if ok else Change.CHANGED  # error or gone: not proven fixed
    if was and now:
        assert a is not None and b is not None
        same = a.status is b.status and [(e.actual, e.unknown) for e in a.evidence] == \
            [(e.actual, e.unknown) for e in b.evidence]
        return Change.STILL_FAILING if same else Change.CHANGED
    return None
