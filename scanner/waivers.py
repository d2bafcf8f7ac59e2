"""Exclusions and waivers: rules left out of a scan, and failures accepted for a while.

An exclusion removes a rule before the scan (pack override `enabled: false`, `--skip-rule`);
a waiver keeps the rule, and turns the failures it covers into `waived` while it is in force.
Both are recorded in the result so every report shows them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.models import (
    Exclusion,
    NetworkService,
    RuleResult,
    ScanResult,
    Severity,
    SourceLocation,
    Status,
    Subject,
    WaiverRecord,
    WaiverState,
)
from scanner.rulepack.model import RuleSet
from scanner.yamlsrc import Document, SourceError, read_document, validate_schema

EXPIRING_SOON_DAYS = 14


@dataclass(frozen=True)
class Waiver:
    id: str
    rule_id: str
    hosts: tuple[str, ...]
    services: tuple[str, ...]
    justification: str
    approver: str
    start: dt.date
    expires: dt.date
    risk: Severity
    location: SourceLocation

    def covers(self, subject: Subject) -> bool:
        if "*" in self.hosts or subject.host in self.hosts:
            return True
        short = f"{subject.host}:{subject.port}" if isinstance(subject, NetworkService) else None
        return subject.key in self.services or short in self.services

    def state_on(self, day: dt.date) -> WaiverState:
        if day > self.expires:
            return WaiverState.EXPIRED
        if day < self.start:
            return WaiverState.PENDING
        return WaiverState.ACTIVE


@cache
def waivers_schema() -> dict[str, Any]:
    text = resources.files("scanner").joinpath("schema/waivers.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_waivers(path: Path, known_rules: Collection[str] = ()) -> tuple[Waiver, ...]:
    """Read and validate a waiver file; `known_rules` (when given) must contain every rule."""
    doc = read_document(path)
    validate_schema(doc, waivers_schema())
    return parse_waivers(doc, known_rules)


def parse_waivers(doc: Document, known_rules: Collection[str] = ()) -> tuple[Waiver, ...]:
    out: list[Waiver] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.data["waivers"]):
        at = ("waivers", i)
        if raw["id"] in seen:
            raise doc.error((*at, "id"), f"duplicate waiver ID '{raw['id']}'")
        seen.add(raw["id"])
        if known_rules and raw["rule"] not in known_rules:
            raise doc.error((*at, "rule"), f"unknown rule {raw['rule']}; `rempart rules list` "
                            "shows the rules in force")
        start, expires = _date(doc, (*at, "start"), raw), _date(doc, (*at, "expires"), raw)
        if expires < start:
            raise doc.error((*at, "expires"), f"expected a date on or after start ({start}); "
                            f"got {expires}")
        out.append(Waiver(
            id=raw["id"], rule_id=raw["rule"], hosts=tuple(raw.get("hosts") or ()),
            services=tuple(raw.get("services") or ()), justification=raw["justification"],
            approver=raw["approver"], start=start, expires=expires, risk=Severity(raw["risk"]),
            location=doc.where(at)))
    return tuple(out)


def _date(doc: Document, at: tuple[str | int, ...], raw: dict[str, Any]) -> dt.date:
    text = str(raw[str(at[-1])])
    try:
        return dt.date.fromisoformat(text[:10] if "T" in text else text)
    except ValueError:
        raise doc.error(at, f"expected a date like 2027-01-31; got {text!r}") from None


# ---- exclusions ---------------------------------------------------------------------------

def exclude_rules(ruleset: RuleSet, skip: Sequence[str]) -> tuple[RuleSet, tuple[Exclusion, ...]]:
    """Drop the `--skip-rule` rules; record them and the pack's disabled rules as exclusions."""
    known = {r.info.id for r in ruleset.rules} | {d.rule_id for d in ruleset.disabled}
    for i, rule_id in enumerate(skip, start=1):
        if rule_id not in known:
            raise SourceError("--skip-rule", i, 1, "skip-rule", f"unknown rule {rule_id}; "
                              "`rempart rules list` shows the rules in force")
    exclusions = [Exclusion(rule_id=d.rule_id, reason=d.reason, by="pack", location=d.location)
                  for d in ruleset.disabled]
    exclusions += [Exclusion(rule_id=r, reason="--skip-rule on the command line", by="skip-rule")
                   for r in dict.fromkeys(skip) if r not in {d.rule_id for d in ruleset.disabled}]
    live = tuple(r for r in ruleset.rules if r.info.id not in skip)
    return replace(ruleset, rules=live), tuple(exclusions)


# ---- waivers applied to a result -----------------------------------------------------------

def apply_waivers(result: ScanResult, waivers: Sequence[Waiver],
                  today: dt.date | None = None) -> ScanResult:
    """Failures covered by an active waiver become `waived`; every waiver is recorded with its
    state (active, pending, expired, stale) and the services it matched. `today` defaults to the
    scan's date, so re-rendering an old result gives the same answer."""
    day = today or result.started_at.date()
    services = {s.service.key: s.service for s in result.services}
    results = list(result.results)
    records: list[WaiverRecord] = []
    for waiver in waivers:
        state = waiver.state_on(day)
        matched: list[str] = []
        for i, rr in enumerate(results):
            svc = services.get(rr.service)
            if rr.rule_id != waiver.rule_id or svc is None or not waiver.covers(svc):
                continue
            if rr.status is Status.FAIL or (rr.status is Status.WAIVED and rr.waiver == waiver.id):
                matched.append(rr.service)
                if state is WaiverState.ACTIVE:
                    results[i] = rr.model_copy(update={"status": Status.WAIVED,
                                                       "waiver": waiver.id})
        if state is WaiverState.ACTIVE and not matched:
            state = WaiverState.STALE
        records.append(_record(waiver, state, tuple(matched)))
    return result.model_copy(update={"results": tuple(results), "waivers": tuple(records)})


def _record(w: Waiver, state: WaiverState, matched: tuple[str, ...]) -> WaiverRecord:
    return WaiverRecord(id=w.id, rule_id=w.rule_id, hosts=w.hosts, services=w.services,
                        justification=w.justification, approver=w.approver, start=w.start,
                        expires=w.expires, risk=w.risk, location=w.location, state=state,
                        matched=matched)


def with_exclusions(result: ScanResult, exclusions: Sequence[Exclusion]) -> ScanResult:
    return result.model_copy(update={"exclusions": tuple(exclusions)})


# ---- counts before and after waivers -------------------------------------------------------

@dataclass(frozen=True)
class WaiverCounts:
    before: dict[Status, int]  # as if no waiver existed: waived failures counted as fail
    after: dict[Status, int]
    score_before: float | None  # % of checked rule results that pass; None: nothing checked
    score_after: float | None  # waived counted with the passes


def waiver_counts(results: Sequence[RuleResult]) -> WaiverCounts:
    after = dict.fromkeys(Status, 0)
    for r in results:
        after[r.status] += 1
    before = {**after, Status.FAIL: after[Status.FAIL] + after[Status.WAIVED], Status.WAIVED: 0}
    checked = sum(n for s, n in after.items() if s is not Status.NOT_APPLICABLE)

    def pct(n: int) -> float | None:
        return round(100.0 * n / checked, 1) if checked else None

    return WaiverCounts(before=before, after=after, score_before=pct(after[Status.PASS]),
                        score_after=pct(after[Status.PASS] + after[Status.WAIVED]))


def expiring(result: ScanResult, within_days: int = EXPIRING_SOON_DAYS,
             today: dt.date | None = None) -> tuple[WaiverRecord, ...]:
    """Waivers in force that expire within `within_days` of `today` (default: the scan date)."""
    day = today or result.started_at.date()
    return tuple(w for w in result.waivers
                 if w.state in (WaiverState.ACTIVE, WaiverState.STALE)
                 and (w.expires - day).days <= within_days)


def apply_policy(result: ScanResult, exclusions: Sequence[Exclusion],
                 waivers: Sequence[Waiver]) -> ScanResult:
    """Record the exclusions and apply the waivers (when any) to a finished scan."""
    result = with_exclusions(result, exclusions) if exclusions else result
    return apply_waivers(result, waivers) if waivers else result


def unwaive(result: ScanResult) -> ScanResult:
    """The result as it was before any waiver (waived results back to fail)."""
    results = tuple(r.model_copy(update={"status": Status.FAIL, "waiver": None})
                    if r.status is Status.WAIVED else r for r in result.results)
    return result.model_copy(update={"results": results, "waivers": ()})
