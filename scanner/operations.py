"""The inventory's `operations` section (already schema-checked): cadence of the weekly scans,
remediation deadlines per severity, freeze windows and their go-live exceptions, maintenance."""

from __future__ import annotations

import datetime as dt

from scanner.models import (
    FreezeWindow,
    GoLiveException,
    MaintenanceWindow,
    Operations,
    Severity,
)
from scanner.yamlsrc import Document

At = tuple[str | int, ...]


def parse_operations(doc: Document) -> Operations:
    raw = doc.data.get("operations")
    if not raw:
        return Operations()
    at: At = ("operations",)
    freezes = None
    if "freeze_windows" in raw:
        freezes = []
        for i, w in enumerate(raw["freeze_windows"]):
            start = _date(doc, (*at, "freeze_windows", i, "start"), w["start"])
            end = _date(doc, (*at, "freeze_windows", i, "end"), w["end"])
            if end < start:
                raise doc.error((*at, "freeze_windows", i, "end"),
                                f"expected a date on or after start ({start}); got {end}")
            freezes.append(FreezeWindow(start=start, end=end, name=w.get("name", "")))
    exceptions = tuple(
        GoLiveException(go_live=_date(doc, (*at, "go_live_exceptions", i, "go_live"),
                                      e["go_live"]),
                        approver=e["approver"], reason=e["reason"])
        for i, e in enumerate(raw.get("go_live_exceptions", ())))
    maintenance = []
    for i, m in enumerate(raw.get("maintenance", ())):
        start = _moment(doc, (*at, "maintenance", i, "start"), m["start"])
        end = _moment(doc, (*at, "maintenance", i, "end"), m["end"])
        if end <= start:
            raise doc.error((*at, "maintenance", i, "end"),
                            f"expected a time after start ({start.isoformat()})")
        maintenance.append(MaintenanceWindow(start=start, end=end,
                                             hosts=tuple(m.get("hosts", ())),
                                             title=m.get("title", "")))
    return Operations(
        scan_interval_days=raw.get("scan_interval_days", 7),
        remediation_days={Severity(k): v for k, v in raw.get("remediation_days", {}).items()},
        freeze_windows=tuple(freezes) if freezes is not None else None,
        go_live_exceptions=exceptions, maintenance=tuple(maintenance))


def _date(doc: Document, at: At, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise doc.error(at, f"expected a date like 2026-12-24; got {text!r}") from None


def _moment(doc: Document, at: At, text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise doc.error(at, f"expected a date-time like 2026-12-05T22:00:00Z; "
                        f"got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def default_freezes(day: dt.date) -> tuple[FreezeWindow, ...]:
    """The white paper's annual freeze around `day`: the last week of a year (Dec 25-31) and
    the first week of the next (Jan 1-7), for the years either side of `day`."""
    return tuple(FreezeWindow(start=dt.date(y, 12, 25), end=dt.date(y + 1, 1, 7),
                              name=f"year-end freeze {y}/{y + 1}")
                 for y in (day.year - 1, day.year))


def freezes_of(ops: Operations, day: dt.date) -> tuple[FreezeWindow, ...]:
    return ops.freeze_windows if ops.freeze_windows is not None else default_freezes(day)
