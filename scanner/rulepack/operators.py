"""The one table of rule operators: name, fact kinds, operand shape, comparison, message key.

The pack schema (`scanner.rulepack.schema`), the loader's checks, the evaluator and the reports'
wording all read `OPERATORS`; adding an operator is one row here plus its phrase in the message
catalogues (`op.<name>`).

Comparisons are pure functions of the fact's value and the resolved operand. List operators
compare sets: a set fact's values, or a scalar fact's single value as a one-element set.
"""

from __future__ import annotations

import datetime as dt
import operator
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


@dataclass(frozen=True)
class Operator:
    name: str
    kinds: frozenset[FactKind]
    operand: OperandShape
    compare: Compare  # (fact value, operand) -> the condition holds
    description: str  # for the pack schema

    @property
    def message(self) -> str:
        """Key of the phrase that shows the expectation, e.g. `op.none_of` ("none of {value}")."""
        return f"op.{self.name}"


def _fs(value: Any) -> frozenset[Any]:
    return value if isinstance(value, frozenset) else frozenset(value)


def _ordered(compare: Callable[[Any, Any], bool]) -> Compare:
    def holds(actual: Any, want: Any) -> bool:
        assert isinstance(actual, dt.datetime | int) and not isinstance(actual, bool)
        return compare(actual, want)
    return holds


_SET, _BOOL, _INT, _STR, _TIME = (FactKind.SET, FactKind.BOOL, FactKind.INT, FactKind.STR,
                                  FactKind.DATETIME)

_TABLE = (
    Operator("none_of", frozenset({_SET, _STR}), OperandShape.LIST,
             lambda a, w: not (_fs(a) & _fs(w)), "no value of the fact is in the list"),
    Operator("all_of", frozenset({_SET}), OperandShape.LIST,
             lambda a, w: _fs(w) <= _fs(a), "every value of the list is in the fact"),
    Operator("any_of", frozenset({_SET}), OperandShape.LIST,
             lambda a, w: bool(_fs(a) & _fs(w)), "at least one value of the list is in the fact"),
    Operator("subset_of", frozenset({_SET}), OperandShape.LIST,
             lambda a, w: _fs(a) <= _fs(w), "every value of the fact is in the list"),
    Operator("empty", frozenset({_SET}), OperandShape.FLAG,
             lambda a, w: (not a) == w, "true: the fact has no value; false: it has one"),
    Operator("one_of", frozenset({_INT, _STR}), OperandShape.LIST,
             lambda a, w: _fs(a) <= _fs(w), "the value is in the list"),
    Operator("equals", frozenset({_BOOL, _INT, _STR}), OperandShape.SCALAR,
             operator.eq, "the value equals the operand"),
    Operator("at_least", frozenset({_INT}), OperandShape.SCALAR,
             _ordered(operator.ge), "the value is at least the operand"),
    Operator("at_most", frozenset({_INT}), OperandShape.SCALAR,
             _ordered(operator.le), "the value is at most the operand"),
    Operator("before", frozenset({_TIME}), OperandShape.MOMENT,
             _ordered(operator.lt), "the moment is strictly before the operand"),
    Operator("after", frozenset({_TIME}), OperandShape.MOMENT,
             _ordered(operator.gt), "the moment is strictly after the operand"),
    Operator("on_or_before", frozenset({_TIME}), OperandShape.MOMENT,
             _ordered(operator.le), "the moment is the operand or earlier"),
    Operator("on_or_after", frozenset({_TIME}), OperandShape.MOMENT,
             _ordered(operator.ge), "the moment is the operand or later"),
)

OPERATORS: dict[str, Operator] = {op.name: op for op in _TABLE}


def operators_for(kind: FactKind) -> tuple[str, ...]:
    """Names of the operators that apply to facts of `kind`, in table order."""
    return tuple(op.name for op in _TABLE if kind in op.kinds)
