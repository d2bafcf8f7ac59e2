"""Rules as data: a check is a tree of conditions over named facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from scanner.models import PackInfo, RuleInfo, Severity, SourceLocation

Scalar = str | int | float | bool
Operand = Scalar | tuple[Scalar, ...]

DYNAMIC_REFS = ("contract.end_date", "scan.time")  # dates
# lists, from the subject's inventory entry
CONTEXT_REFS = ("role.allowed_ports", "role.allowed_services", "flow.required",
                "host.contractor_accounts", "host.address")


@dataclass(frozen=True)
class Condition:
    """`fact <op> operand`; the operand may be `${params.x}` or a dynamic reference."""

    fact: str
    op: str
    operand: Operand
    location: SourceLocation
    exclude: Operand | None = None  # set facts: values ignored before comparing (`except:`)


@dataclass(frozen=True)
class Combined:
    mode: Literal["all", "any"]
    items: tuple[Check, ...]


Check = Condition | Combined


def conditions(check: Check | None) -> list[Condition]:
    """The leaves of a check, in order."""
    if check is None:
        return []
    if isinstance(check, Condition):
        return [check]
    return [c for item in check.items for c in conditions(item)]


def facts_of(check: Check | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.fact for c in conditions(check)))


@dataclass(frozen=True)
class Rule:
    info: RuleInfo
    check: Check
    when: Check | None = None
    params: dict[str, Operand] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    rule_id: str
    location: SourceLocation
    at: str  # where it stands in its pack, e.g. overrides[2]
    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, Operand] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class Pack:
    info: PackInfo
    rules: tuple[Rule, ...]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The rules in force after every pack's overrides."""

    packs: tuple[PackInfo, ...]
    rules: tuple[Rule, ...]
    disabled: tuple[Override, ...] = ()
