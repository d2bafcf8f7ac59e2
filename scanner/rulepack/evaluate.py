"""Judge one rule on one service's facts. Never touches the network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from scanner.models import (
    Evidence,
    Fact,
    Message,
    MessageKey,
    ProbeStatus,
    RuleResult,
    Status,
    Subject,
)
from scanner.rulepack.conditions import Dynamic, Outcome, evaluate_condition
from scanner.rulepack.model import Check, Condition, Operand, Rule


def evaluate_rule(rule: Rule, service: Subject, facts: Mapping[str, Fact], dyn: Dynamic
                  ) -> RuleResult:
    info = rule.info
    dyn = replace(dyn, context=service.references())

    def result(status: Status, key: MessageKey, evidence: tuple[Evidence, ...] = (),
               fact: str | None = None) -> RuleResult:
        return RuleResult(rule_id=info.id, service=service.key, status=status,
                          message=Message(key=key, fact=fact), evidence=evidence)

    if service.protocol not in info.applies_to:
        return result(Status.NOT_APPLICABLE, MessageKey.SUBJECT_NOT_COVERED)
    from scanner.facts import FACTS  # on use: the catalogue imports every probe module

    for name in info.facts:
        if service.protocol not in FACTS[name].services:
            return result(Status.NOT_APPLICABLE, MessageKey.FACT_NOT_FOR_SUBJECT, fact=name)
    if rule.when is not None:
        pre = check(rule.when, facts, rule.params, dyn)
        if pre.ok is None:
            return result(*_unknown(pre), pre.evidence)
        if not pre.ok:
            return result(Status.NOT_APPLICABLE, MessageKey.PRECONDITION_NOT_MET, pre.evidence)
    out = check(rule.check, facts, rule.params, dyn)
    if out.ok is None:
        return result(*_unknown(out), out.evidence)
    return result(Status.PASS if out.ok else Status.FAIL, MessageKey.CHECKED, out.evidence)


def _unknown(out: Outcome) -> tuple[Status, MessageKey]:
    if out.unknown is ProbeStatus.NOT_APPLICABLE:
        return Status.NOT_APPLICABLE, MessageKey.FACT_NOT_APPLICABLE
    return Status.ERROR, MessageKey.UNCHECKED


def check(node: Check, facts: Mapping[str, Fact], params: Mapping[str, Operand],
          dyn: Dynamic) -> Outcome:
    """all: any violation fails, else any unknown is unknown; any: the mirror image."""
    if isinstance(node, Condition):
        return evaluate_condition(node.fact, node.op, node.operand, facts, params, dyn,
                                  node.exclude)
    outs = [check(item, facts, params, dyn) for item in node.items]
    decisive = node.mode != "all"
    hits = [o for o in outs if o.ok is decisive]
    if hits:
        return _merge(decisive, hits)
    unknown = [o for o in outs if o.ok is None]
    if unknown:
        worst = (ProbeStatus.ERROR if any(o.unknown is ProbeStatus.ERROR for o in unknown)
                 else ProbeStatus.NOT_APPLICABLE)
        return Outcome(None, _merge(None, outs).evidence, worst)
    return _merge(not decisive, outs)


def _merge(ok: bool | None, outs: list[Outcome]) -> Outcome:
    return Outcome(ok, tuple(e for o in outs for e in o.evidence))
