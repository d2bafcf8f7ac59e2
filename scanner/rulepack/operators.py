"""The one table of rule operators: name, fact kinds, operand shape, comparison, message key,
and what decided a verdict on a set fact.

The pack schema (`scanner.rulepack.schema`), the loader's checks, the evaluator and the reports'
wording all read `OPERATORS`; adding an operator is one row here plus its phrase in the message
catalogues (`op.<name>`).

Comparisons are pure functions of the fact's value and the resolved operand. List operators
compare sets: a set fact's values, or a scalar fact's single value as a one-element set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from scanner.facts import FactKind


class OperandShape(StrEnum):
    LIST = "list"  # a list of values from the fact's vocabulary (or integers for int facts)
    FLAG = "flag"  # true or false
    SCALAR = "scalar"  # one value of the fact's own type
    MOMENT = "moment"  # a date, a date-time, ${contract.end_date} or ${scan.time}


Compare = Callable[[Any, Any], bool]


class Decides(StrEnum):
    """What the evidence of a set fact shows as decisive (scanner/rulepack/conditions.py)."""

    LISTED = "listed"  # the fact's values in the operand: none_of's offenders, any_of's hits
    UNLISTED = "unlisted"  # the fact's values outside the operand (subset_of)
    LACKING = "lacking"  # the operand's values the fact lacks, as `missing` (all_of)
    ALL_IF_TRUE = "all_if_true"  # every value, when the operand is true (empty: true)


@dataclass(frozen=True)
class Operator:
    name: str
    kinds: frozenset[FactKind]
    operand: OperandShape
    compare: Compare  # (fact value, operand) -> the condition holds
    description: str  # for the pack schema
    decides: Decides = Decides.LISTED  # for set facts

    @property
    def message(self) -> str:
        """Key of the phrase that shows the expectation, e.g. `op.none_of` ("none of {value}")."""
        return f"op.{self.name}"


# Each comparison is a named function with the operator written out (not a lambda or an
# `operator.ge` in the table): mutation testing reaches function bodies only (make mutation).
# List operators receive frozensets; ordered ones an int or a datetime and the resolved operand.

def _none_of(seen: frozenset[Any], want: frozenset[Any]) -> bool:
    return not seen & want


def _all_of(seen: frozenset[Any], want: frozenset[Any]) -> bool:
    return want <= seen


def _any_of(seen: frozenset[Any], want: frozenset[Any]) -> bool:
    return bool(seen & want)


def _subset_of(seen: frozenset[Any], want: frozenset[Any]) -> bool:
    return seen <= want


def _empty(seen: frozenset[Any], want: bool) -> bool:
    return (not seen) == want


def _equals(seen: Any, want: Any) -> bool:
    return bool(seen == want)


def _ordinal(value: Any) -> int | dt.datetime:
    """An int or a datetime; a bool (an int to Python) or anything else is a bug upstream."""
    if isinstance(value, bool) or not isinstance(value, int | dt.datetime):
        raise TypeError(f"an ordered comparison needs an int or a datetime, not {value!r}")
    return value


def _at_least(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) >= want)


def _at_most(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) <= want)


def _before(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) < want)


def _after(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) > want)


def _on_or_before(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) <= want)


def _on_or_after(seen: Any, want: Any) -> bool:
    return bool(_ordinal(seen) >= want)


_SET, _BOOL, _INT, _STR, _TIME = (FactKind.SET, FactKind.BOOL, FactKind.INT, FactKind.STR,
                                  FactKind.DATETIME)

_TABLE = (
    Operator("none_of", frozenset({_SET, _STR}), OperandShape.LIST,
             _none_of, "no value of the fact is in the list"),
    Operator("all_of", frozenset({_SET}), OperandShape.LIST,
             _all_of, "every value of the list is in the fact",
             decides=Decides.LACKING),
    Operator("any_of", frozenset({_SET}), OperandShape.LIST,
             _any_of, "at least one value of the list is in the fact"),
    Operator("subset_of", frozenset({_SET}), OperandShape.LIST,
             _subset_of, "every value of the fact is in the list",
             decides=Decides.UNLISTED),
    Operator("empty", frozenset({_SET}), OperandShape.FLAG,
             _empty, "true: the fact has no value; false: it has one",
             decides=Decides.ALL_IF_TRUE),
    Operator("one_of", frozenset({_INT, _STR}), OperandShape.LIST,
             _subset_of, "the value is in the list"),
    Operator("equals", frozenset({_BOOL, _INT, _STR}), OperandShape.SCALAR,
             _equals, "the value equals the operand"),
    Operator("at_least", frozenset({_INT}), OperandShape.SCALAR,
             _at_least, "the value is at least the operand"),
    Operator("at_most", frozenset({_INT}), OperandShape.SCALAR,
             _at_most, "the value is at most the operand"),
    Operator("before", frozenset({_TIME}), OperandShape.MOMENT,
             _before, "the moment is strictly before the operand"),
    Operator("after", frozenset({_TIME}), OperandShape.MOMENT,
             _after, "the moment is strictly after the operand"),
    Operator("on_or_before", frozenset({_TIME}), OperandShape.MOMENT,
             _on_or_before, "the moment is the operand or earlier"),
    Operator("on_or_after", frozenset({_TIME}), OperandShape.MOMENT,
             _on_or_after, "the moment is the operand or later"),
)

OPERATORS: dict[str, Operator] = {op.name: op for op in _TABLE}


def operators_for(kind: FactKind) -> tuple[str, ...]:
    """Names of the operators that apply to facts of `kind`, in table order."""
    return tuple(op.name for op in _TABLE if kind in op.kinds)
