"""Service states and events from the scan history, for the status page and its feeds.

Five states, as on a status site: operational (no failed rule), minor (only low or medium
failures), major (a high failure), not operational (a critical failure, or unreachable:
nothing could be checked), maintenance (inside a window the inventory declares). Waived
failures are accepted risks and do not degrade a state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scanner.history.diff import text_of
from scanner.models import MaintenanceWindow, ScanResult, ServiceProtocol, Severity, Status, Subject
from scanner.waivers import EXPIRING_SOON_DAYS, expiring


class State(StrEnum):
    OPERATIONAL = "operational"
    MINOR = "minor"
    MAJOR = "major"
    NOT_OPERATIONAL = "not_operational"
    MAINTENANCE = "maintenance"


STATE_ORDER = (State.NOT_OPERATIONAL, State.MAJOR, State.MINOR, State.MAINTENANCE,
               State.OPERATIONAL)  # worst first


class EventKind(StrEnum):
    INCIDENT = "incident"  # a new finding
    RESOLUTION = "resolution"  # a finding fixed
    ACTION = "action"  # a waiver expiring soon: decide, fix or renew
    MAINTENANCE = "maintenance"  # a declared maintenance window


@dataclass(frozen=True)
class Event:
    kind: EventKind
    id: str  # stable across runs: feed readers never repeat an entry
    when: dt.datetime
    title: str
    text: str
    services: tuple[str, ...]  # service keys; empty: the whole estate
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class ServiceStatus:
    key: str
    host: str
    endpoint: str
    states: tuple[tuple[dt.datetime, State], ...]  # oldest first, one per scan that had it

    @property
    def current(self) -> State:
        return self.states[-1][1]


def in_maintenance(service: Subject, moment: dt.datetime,
                   windows: Sequence[MaintenanceWindow]) -> bool:
    return any(w.start <= moment <= w.end and (not w.hosts or service.host in w.hosts)
               for w in windows)


def state_of(result: ScanResult, service: Subject,
             windows: Sequence[MaintenanceWindow] = ()) -> State:
    if in_maintenance(service, result.started_at, windows):
        return State.MAINTENANCE
    severity = {r.id: r.severity for r in result.rules}
    mine = [r for r in result.results if r.service == service.key]
    failed = {severity.get(r.rule_id, Severity.INFO) for r in mine if r.status is Status.FAIL}
    checked = [r for r in mine if r.status is not Status.NOT_APPLICABLE]
    if Severity.CRITICAL in failed or (checked and all(r.status is Status.ERROR
                                                       for r in checked)):
        return State.NOT_OPERATIONAL
    if Severity.HIGH in failed:
        return State.MAJOR
    if failed & {Severity.MEDIUM, Severity.LOW}:
        return State.MINOR
    return State.OPERATIONAL


def service_statuses(history: Sequence[ScanResult]) -> list[ServiceStatus]:
    """Each service of the latest scan with its state in every scan of `history`."""
    if not history:
        return []
    windows = history[-1].inventory.operations.maintenance
    latest = [s.service for s in history[-1].services
              if s.service.protocol is not ServiceProtocol.ESTATE]
    out = []
    for svc in latest:
        states = tuple((r.started_at, state_of(r, svc, windows)) for r in history
                       if any(s.service.key == svc.key for s in r.services))
        out.append(ServiceStatus(key=svc.key, host=svc.host, endpoint=svc.endpoint,
                                 states=states))
    return out


def overall(statuses: Sequence[ServiceStatus]) -> State:
    if not statuses:
        return State.OPERATIONAL
    return min((s.current for s in statuses), key=STATE_ORDER.index)


def _tag(*parts: str) -> str:
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return f"urn:rempart:event:{digest}"


def events(history: Sequence[ScanResult], inventory_key: str,
           now: dt.datetime | None = None) -> list[Event]:
    """New and fixed findings between consecutive scans, waivers expiring within 14 days of
    the latest scan, and the declared maintenance windows; newest first."""
    if not history:
        return []
    out: list[Event] = []
    hosts = {s.service.key: s.service.host for r in history for s in r.services}
    rules = {r.id: r for h in history for r in h.rules}
    previous: dict[tuple[str, str], Status] = {}
    for result in history:
        current = {(r.rule_id, r.service): r.status for r in result.results}
        messages = {(r.rule_id, r.service): text_of(r, result) for r in result.results}
        for key, status in sorted(current.items()):
            was = previous.get(key)
            title = rules[key[0]].title["en"] if key[0] in rules else key[0]
            if status is Status.FAIL and was is not Status.FAIL:  # first scan: all are new
                out.append(Event(EventKind.INCIDENT,
                                 _tag(inventory_key, "new", *key, result.started_at.isoformat()),
                                 result.started_at, f"New finding: {key[0]} on {key[1]}",
                                 f"{title}. {messages[key]}", (key[1],),
                                 (hosts.get(key[1], ""),)))
            elif was in (Status.FAIL, Status.WAIVED) and status in (Status.PASS,
                                                                   Status.NOT_APPLICABLE):
                out.append(Event(EventKind.RESOLUTION,
                                 _tag(inventory_key, "fixed", *key,
                                      result.started_at.isoformat()),
                                 result.started_at, f"Fixed: {key[0]} on {key[1]}",
                                 f"{title}: passes again.", (key[1],),
                                 (hosts.get(key[1], ""),)))
        previous = current
    latest = history[-1]
    for w in expiring(latest, EXPIRING_SOON_DAYS, (now or latest.started_at).date()):
        when = dt.datetime.combine(w.expires - dt.timedelta(days=EXPIRING_SOON_DAYS),
                                   dt.time(), tzinfo=dt.UTC)
        out.append(Event(EventKind.ACTION, _tag(inventory_key, "waiver", w.id,
                                                w.expires.isoformat()),
                         when, f"Waiver {w.id} expires on {w.expires}",
                         f"{w.rule_id} on {', '.join(w.matched) or 'no service'}: fix it or "
                         f"renew the waiver (approved by {w.approver}: {w.justification}).",
                         w.matched, tuple(sorted({hosts.get(k, '') for k in w.matched}))))
    for m in latest.inventory.operations.maintenance:
        covered = tuple(k for k, h in hosts.items() if not m.hosts or h in m.hosts)
        out.append(Event(EventKind.MAINTENANCE,
                         _tag(inventory_key, "maintenance", m.start.isoformat(),
                              m.end.isoformat(), *m.hosts),
                         m.start, f"Maintenance: {m.title or 'planned maintenance'}",
                         f"From {m.start:%Y-%m-%d %H:%M} to {m.end:%Y-%m-%d %H:%M} UTC on "
                         f"{', '.join(m.hosts) or 'the whole estate'}.", covered, m.hosts))
    out.sort(key=lambda e: (e.when, e.id), reverse=True)
    return out
