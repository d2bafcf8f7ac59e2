"""The operators: each turns one fact and one operand into a verdict with evidence."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.facts import FACTS, GROUP_ALIASES, FactKind
from scanner.models import Evidence, Fact, Observation, ProbeStatus
from scanner.rulepack.model import Operand

_REF = re.compile(r"^\$\{([a-z_.]+)\}$")


@dataclass(frozen=True)
class Outcome:
    """`ok` is True (holds), False (violated) or None (cannot say: see `status`)."""

    ok: bool | None
    evidence: tuple[Evidence, ...]
    unknown: ProbeStatus | None = None  # ERROR or NOT_APPLICABLE when ok is None
    reason: str = ""


@dataclass(frozen=True)
class Dynamic:
    """Values that come from the scan, not the pack."""

    scan_time: dt.datetime
    contract_end: dt.date | None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # the subject's


def parse_when(text: str) -> dt.datetime | None:
    """A date or date-time from a pack; dates mean midnight UTC at the start of that day."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def resolve(operand: Operand, params: Mapping[str, Operand], dyn: Dynamic
            ) -> tuple[Operand | dt.datetime | None, str]:
    """The operand's value and how to show it; None when a dynamic value is missing."""
    if isinstance(operand, str) and (m := _REF.match(operand)):
        ref = m.group(1)
        if ref.startswith("params."):
            return resolve(params[ref.removeprefix("params.")], params, dyn)
        if ref in dyn.context:
            return dyn.context[ref], f"{ref} {_show(dyn.context[ref])}"
        if ref == "scan.time":
            return dyn.scan_time, f"the scan time ({dyn.scan_time:%Y-%m-%d %H:%M} UTC)"
        if ref != "contract.end_date":
            return None, f"{ref} (not declared for this subject)"
        if dyn.contract_end is None:
            return None, "the contract end date"
        end = dt.datetime.combine(dyn.contract_end, dt.time(23, 59, 59), dt.UTC)
        return end, f"the contract end date ({dyn.contract_end.isoformat()})"
    return operand, _show(operand)


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_WORDS = {
    "none_of": "none of", "all_of": "all of", "any_of": "any of", "subset_of": "only values in",
    "one_of": "one of", "equals": "", "at_least": "at least", "at_most": "at most",
    "before": "before", "after": "after", "on_or_before": "on or before",
    "on_or_after": "on or after",
}


def evaluate_condition(fact_name: str, op: str, operand: Operand, facts: Mapping[str, Fact],
                       params: Mapping[str, Operand], dyn: Dynamic,
                       exclude: Operand | None = None) -> Outcome:
    fact = facts.get(fact_name)
    value, shown = resolve(operand, params, dyn)
    expected = (("empty" if operand else "not empty") if op == "empty"
                else f"{_WORDS[op]} {shown}".strip())
    ignored: tuple[str, ...] = ()
    if exclude is not None:
        skip, skip_shown = resolve(exclude, params, dyn)
        ignored = tuple(str(v) for v in skip) if isinstance(skip, tuple) else ()
        expected += f" (except {skip_shown})"
    if fact is None or fact.status is not ProbeStatus.COMPLETED:
        status = fact.status if fact else ProbeStatus.ERROR
        reason = (fact.reason if fact else None) or "the fact was not gathered"
        ev = Evidence(fact=fact_name, expected=expected, actual=f"unknown: {reason}",
                      detail=fact.summary if fact else "")
        return Outcome(None, (ev,), status, reason)
    if value is None:
        reason = (f"the inventory does not declare {shown}" if "not declared" in shown
                  else "the inventory gives no contract end date (contract.end_date)")
        ev = Evidence(fact=fact_name, expected=expected, actual="not compared", detail=reason)
        return Outcome(None, (ev,), ProbeStatus.ERROR, reason)
    actual_value = fact.value
    if ignored and isinstance(actual_value, tuple):
        actual_value = tuple(o for o in _observations(actual_value)
                             if o.value not in {GROUP_ALIASES.get(i, i) for i in ignored})
    ok, actual, detail = _compare(FACTS[fact_name].kind, op, actual_value, value)
    detail = "; ".join(d for d in (detail, fact.summary) if d)
    return Outcome(ok, (Evidence(fact=fact_name, expected=expected, actual=actual, detail=detail),))


def _compare(kind: FactKind, op: str, actual: object, want: object) -> tuple[bool, str, str]:
    if kind is FactKind.SET:
        return _compare_set(op, _observations(actual), want)
    if kind is FactKind.DATETIME:
        assert isinstance(actual, dt.datetime) and isinstance(want, str | dt.datetime)
        limit = parse_when(want) if isinstance(want, str) else want
        assert limit is not None
        ok = {"before": actual < limit, "after": actual > limit,
              "on_or_before": actual <= limit, "on_or_after": actual >= limit}[op]
        return ok, f"{actual:%Y-%m-%d %H:%M:%S} UTC", ""
    if op == "equals":
        return actual == want, _show(actual), ""
    if op in ("one_of", "none_of"):
        assert isinstance(want, tuple)
        inside = actual in want
        return (inside if op == "one_of" else not inside), _show(actual), ""
    assert isinstance(actual, int) and isinstance(want, int | float)
    ok = actual >= want if op == "at_least" else actual <= want
    return ok, str(actual), ""


def _observations(value: object) -> tuple[Observation, ...]:
    assert isinstance(value, tuple)
    return tuple(v for v in value if isinstance(v, Observation))


def _compare_set(op: str, seen: tuple[Observation, ...], want: object
                 ) -> tuple[bool, str, str]:
    values = {o.value for o in seen}
    actual = ", ".join(sorted(values)) if values else "(none)"
    if op == "empty":
        ok = (not values) == want
        return ok, actual, _details(seen, values)
    assert isinstance(want, tuple)
    wanted = {GROUP_ALIASES.get(str(w), str(w)) for w in want}
    if op == "none_of":
        bad = values & wanted
        return not bad, actual, _details(seen, bad)
    if op == "any_of":
        return bool(values & wanted), actual, ""
    if op == "all_of":
        missing = wanted - values
        note = f"missing: {', '.join(sorted(missing))}" if missing else ""
        return not missing, actual, note
    extra = values - wanted  # subset_of
    return not extra, actual, _details(seen, extra)


def _details(seen: tuple[Observation, ...], which: set[str]) -> str:
    lines = [f"{o.value}: {o.detail}" if o.detail else o.value for o in seen if o.value in which]
    return "; ".join(lines)
