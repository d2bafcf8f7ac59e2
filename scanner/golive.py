"""The go-live gate: REQ-OPS-02 (no go-live in a freeze window without a declared exception)
and REQ-OPS-05 (backup/restore, monitoring and disaster recovery checked and passing in the
latest scan)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scanner.history.diff import text_of
from scanner.models import GoLiveException, Operations, ScanResult, Status
from scanner.operations import freezes_of

PREREQUISITE = "REQ-OPS-05"


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    lines: tuple[str, ...]


def freeze_check(day: dt.date, ops: Operations) -> GateCheck:
    windows = [w for w in freezes_of(ops, day) if w.start <= day <= w.end]
    if not windows:
        return GateCheck("freeze (REQ-OPS-02)", True,
                         (f"{day} is outside every freeze window",))
    w = windows[0]
    where = f"{day} falls in the freeze window {w.name or 'freeze'} ({w.start} to {w.end})"
    exception: GoLiveException | None = next(
        (e for e in ops.go_live_exceptions if e.go_live == day), None)
    if exception:
        return GateCheck("freeze (REQ-OPS-02)", True, (
            f"{where}; allowed by a declared exception approved by {exception.approver}: "
            f"{exception.reason}",))
    return GateCheck("freeze (REQ-OPS-02)", False, (
        f"{where}: production changes are frozen (REQ-OPS-02)",
        "a go-live in this window needs a declared exception: add under operations."
        f"go_live_exceptions of the inventory {{go_live: {day}, approver: ..., reason: ...}}"))


def prerequisites_check(result: ScanResult | None) -> GateCheck:
    name = f"go-live prerequisites ({PREREQUISITE})"
    if result is None:
        return GateCheck(name, False, ("no scan in the history: the prerequisites are "
                                       "unchecked; run `rempart scan` first",))
    rules = {r.id for r in result.rules if PREREQUISITE in r.requirements}
    mine = [r for r in result.results if r.rule_id in rules]
    when = f"latest scan {result.started_at:%Y-%m-%d %H:%M} UTC"
    if not mine:
        return GateCheck(name, False, (
            f"{when}: no rule checks {PREREQUISITE} (backup/restore, monitoring, disaster "
            "recovery and their alerts): unchecked, so not met",))
    bad = [r for r in mine if r.status in (Status.FAIL, Status.ERROR)]
    applicable = [r for r in mine if r.status is not Status.NOT_APPLICABLE]
    if not applicable:
        return GateCheck(name, False, (f"{when}: every {PREREQUISITE} rule was not "
                                       "applicable: unchecked, so not met",))
    if bad:
        return GateCheck(name, False, tuple(
            f"{when}: {r.rule_id} on {r.service}: {r.status.value}: {text_of(r, result)}"
            for r in bad))
    waived = [r for r in mine if r.status is Status.WAIVED]
    lines = [f"{when}: {len(applicable)} check(s) of {PREREQUISITE} passed"]
    lines += [f"{r.rule_id} on {r.service}: waived by {r.waiver}" for r in waived]
    return GateCheck(name, True, tuple(lines))
