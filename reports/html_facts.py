"""Typed views of fact values for the appendix: the template switches on `kind`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scanner.models import CertificateSummary, Fact, FactValue, Observation

# Units of integer facts, and those where -1 means "absent" (e.g. no HSTS header).
UNITS = {"http.hsts_max_age": "s", "http.response_p90_ms": "ms", "cert.key_bits": "bits"}
ABSENT_IF_NEGATIVE = frozenset({"http.hsts_max_age"})

ValueKind = Literal["none", "bool", "int", "datetime", "text", "empty", "observations", "chain"]


@dataclass(frozen=True)
class ValueView:
    kind: ValueKind
    flag: bool = False
    number: int = 0
    unit: str = ""
    absent: bool = False  # a sentinel value: what the fact measures is missing
    moment: datetime | None = None
    text: str = ""
    observations: tuple[Observation, ...] = ()
    chain: tuple[CertificateSummary, ...] = ()


def value_view(value: FactValue, name: str = "") -> ValueView:
    # bool before int: bool is a subclass of int
    if value is None:
        return ValueView("none")
    if isinstance(value, bool):
        return ValueView("bool", flag=value)
    if isinstance(value, int):
        return ValueView("int", number=value, unit=UNITS.get(name, ""),
                         absent=name in ABSENT_IF_NEGATIVE and value < 0)
    if isinstance(value, datetime):
        return ValueView("datetime", moment=value)
    if isinstance(value, str):
        return ValueView("text", text=value)
    if not value:
        return ValueView("empty")
    if all(isinstance(v, Observation) for v in value):
        return ValueView("observations", observations=tuple(
            v for v in value if isinstance(v, Observation)))
    return ValueView("chain", chain=tuple(v for v in value if isinstance(v, CertificateSummary)))


@dataclass(frozen=True)
class FactView:
    fact: Fact
    value: ValueView


def fact_views(facts: tuple[Fact, ...]) -> tuple[FactView, ...]:
    return tuple(FactView(f, value_view(f.value, f.name))
                 for f in sorted(facts, key=lambda f: f.name))
