"""Combine packs: duplicate IDs refused, overrides applied, citations checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.models import SourceLocation
from scanner.rulepack.loader import check_operand
from scanner.rulepack.model import (
    Operand,
    Override,
    Pack,
    Rule,
    RuleSet,
    conditions,
)
from scanner.yamlsrc import SourceError


def _error(loc: SourceLocation | None, field: str, message: str) -> SourceError:
    if loc is None:
        return SourceError("(unknown)", 1, 1, field, message)
    return SourceError(loc.file, loc.line, loc.column, field, message)


def build_ruleset(packs: Sequence[Pack]) -> RuleSet:
    rules: dict[str, Rule] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.info.id in rules:
                first = rules[rule.info.id].info.location
                where = f"{first.file}:{first.line}" if first else rules[rule.info.id].info.pack
                raise _error(rule.info.location, f"{rule.info.id}.id",
                             f"duplicate rule ID {rule.info.id} (already defined at {where})")
            rules[rule.info.id] = rule
    known_reqs = {r.id for p in packs for r in p.info.requirements}
    for rule in rules.values():
        for req in rule.info.requirements:
            if req not in known_reqs:
                raise _error(rule.info.location, f"{rule.info.id}.requirements",
                             f"{rule.info.id} cites {req}, which no loaded pack declares under "
                             "'requirements'")
    disabled: list[Override] = []
    for pack in packs:
        for ov in pack.overrides:
            target = rules.get(ov.rule_id)
            if target is None:
                raise _error(ov.location, f"{ov.at}.rule",
                             f"override of unknown rule {ov.rule_id}; loaded rules are: "
                             f"{', '.join(sorted(rules)) or '(none)'}")
            if ov.enabled is False:
                disabled.append(ov)
            rules[ov.rule_id] = _apply(target, ov)
    live = tuple(r for r in rules.values() if all(d.rule_id != r.info.id for d in disabled))
    return RuleSet(packs=tuple(p.info for p in packs), rules=live, disabled=tuple(disabled))


def _apply(rule: Rule, ov: Override) -> Rule:
    for name in ov.params:
        if name not in rule.params:
            raise _error(ov.location, f"{ov.at}.params.{name}",
                         f"{rule.info.id} has no parameter '{name}'; its params are: "
                         f"{', '.join(rule.params) or '(none)'}")
    params: dict[str, Operand] = {**rule.params, **ov.params}
    for cond in conditions(rule.check) + conditions(rule.when):
        try:
            check_operand(None, (), cond.fact, cond.op, cond.operand, params)
        except SourceError as exc:
            raise _error(ov.location, f"{ov.at}.params", exc.message) from None
    info = rule.info if ov.severity is None else rule.info.model_copy(
        update={"severity": ov.severity})
    return replace(rule, info=info, params=params)

