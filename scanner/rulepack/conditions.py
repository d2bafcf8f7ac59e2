"""Judge one condition: a fact, an operator of the table, an operand -> typed evidence.

No prose here: the evidence holds the operator's name, the typed expected and actual values and
the observations that decided; formatters word it (reports/locale).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.facts import GROUP_ALIASES, FactKind
from scanner.models import (
    Evidence,
    Fact,
    FlagValue,
    ListValue,
    MomentValue,
    NumberValue,
    Observation,
    ProbeStatus,
    TextValue,
    TypedValue,
    Unknown,
)
from scanner.rulepack.model import Operand
from scanner.rulepack.operators import OPERATORS, Decides, OperandShape

_REF = re.compile(r"^\$\{([a-z_.]+)\}$")


@dataclass(frozen=True)
class Outcome:
    """`ok` is True (holds), False (violated) or None (cannot say: see `unknown`)."""

    ok: bool | None
    evidence: tuple[Evidence, ...]
    unknown: ProbeStatus | None = None  # ERROR or NOT_APPLICABLE when ok is None


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


Resolved = Operand | dt.datetime | None


def resolve(operand: Operand, params: Mapping[str, Operand], dyn: Dynamic
            ) -> tuple[Resolved, str | None]:
    """The operand's value and the reference it came from (None: written in the rule).

    The value is None when the reference names something this scan or subject lacks.
    """
    if isinstance(operand, str) and (m := _REF.match(operand)):
        ref = m.group(1)
        if ref.startswith("params."):
            return resolve(params[ref.removeprefix("params.")], params, dyn)
        if ref in dyn.context:
            return dyn.context[ref], ref
        if ref == "scan.time":
            return dyn.scan_time, ref
        if ref != "contract.end_date" or dyn.contract_end is None:
            return None, ref
        if dyn.contract_end < dyn.scan_time.date():  # a past end proves nothing: error, no pass
            return None, ref
        return dt.datetime.combine(dyn.contract_end, dt.time(23, 59, 59), dt.UTC), ref
    return operand, None


def typed(value: object, kind: FactKind | None = None) -> TypedValue:
    """A fact value or a resolved operand as a typed evidence value."""
    if isinstance(value, bool):
        return FlagValue(flag=value)
    if isinstance(value, int | float):
        return NumberValue(number=value)
    if isinstance(value, dt.datetime):
        return MomentValue(moment=value)
    if isinstance(value, str):
        when = parse_when(value) if kind is FactKind.DATETIME else None
        return MomentValue(moment=when) if when else TextValue(text=value)
    if isinstance(value, tuple):
        items = [v.value if isinstance(v, Observation) else v for v in value]
        return ListValue(items=tuple(v if isinstance(v, int) else str(v) for v in items))
    return TextValue(text=str(value))


def evaluate_condition(fact_name: str, op: str, operand: Operand, facts: Mapping[str, Fact],
                       params: Mapping[str, Operand], dyn: Dynamic,
                       exclude: Operand | None = None) -> Outcome:
    from scanner.facts import FACTS  # on use: the catalogue imports every probe module

    fact = facts.get(fact_name)
    kind = FACTS[fact_name].kind
    value, ref = resolve(operand, params, dyn)
    ignored: tuple[str, ...] = ()
    if exclude is not None:
        skip, _ = resolve(exclude, params, dyn)
        ignored = tuple(GROUP_ALIASES.get(str(v), str(v)) for v in skip) \
            if isinstance(skip, tuple) else ()
    base = Evidence(fact=fact_name, operator=op, reference=ref, excluded=ignored,
                    expected=None if value is None else typed(value, kind))
    if fact is None or fact.status is not ProbeStatus.COMPLETED:
        status = fact.status if fact else ProbeStatus.ERROR
        unknown = (Unknown.FACT_MISSING if fact is None else
                   Unknown.FACT_NOT_APPLICABLE if status is ProbeStatus.NOT_APPLICABLE
                   else Unknown.FACT_ERROR)
        return Outcome(None, (base.model_copy(update={"unknown": unknown}),), status)
    if value is None:
        return Outcome(None, (base.model_copy(update={"unknown": Unknown.REFERENCE_MISSING}),),
                       ProbeStatus.ERROR)
    seen = fact.value
    if kind is FactKind.SET:
        observed = tuple(o for o in _observations(seen) if o.value not in ignored)
        ok, decisive, missing = _judge_set(op, observed, value)
        return Outcome(ok, (base.model_copy(update={
            "actual": typed(observed), "decisive": decisive, "missing": missing}),))
    spec = OPERATORS[op]
    want: object = value
    if spec.operand is OperandShape.LIST:
        assert isinstance(value, tuple)
        seen_cmp: object = frozenset({seen})
        want = frozenset(value)
    elif spec.operand is OperandShape.MOMENT:
        want = parse_when(value) if isinstance(value, str) else value
        seen_cmp = seen
    else:
        seen_cmp = seen
    ok = spec.compare(seen_cmp, want)
    return Outcome(ok, (base.model_copy(update={"actual": typed(seen, kind)}),))


def _observations(value: object) -> tuple[Observation, ...]:
    assert isinstance(value, tuple)
    return tuple(v for v in value if isinstance(v, Observation))


def _judge_set(op: str, seen: tuple[Observation, ...], want: object
               ) -> tuple[bool, tuple[Observation, ...], tuple[str, ...]]:
    """Verdict, the observations that decided it, and the wanted values not seen (all_of)."""
    values = frozenset(o.value for o in seen)
    spec = OPERATORS[op]
    if spec.decides is Decides.ALL_IF_TRUE:
        return spec.compare(values, want), (seen if want else ()), ()
    assert isinstance(want, tuple)
    wanted = frozenset(GROUP_ALIASES.get(str(w), str(w)) for w in want)
    ok = spec.compare(values, wanted)
    if spec.decides is Decides.UNLISTED:
        return ok, tuple(o for o in seen if o.value not in wanted), ()
    if spec.decides is Decides.LACKING:
        return ok, (), tuple(sorted(wanted - values))
    return ok, tuple(o for o in seen if o.value in wanted), ()
