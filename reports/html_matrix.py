"""The compliance matrix (control -> rules) and requirement traceability (REQ -> rules)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from reports.html_tally import Tally, tally
from scanner.models import RuleInfo, RuleResult, ScanResult, SourceDocument, localized

FRAMEWORK_ORDER = ("iso27001", "soc2", "hds", "anssi-tls")


def natural_key(text: str) -> tuple[tuple[int, str], ...]:
    """`A.8.5` before `A.8.24`, `REQ-TLS-2` before `REQ-TLS-10`."""
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", text) if p)


@dataclass(frozen=True)
class RuleStatus:
    rule: RuleInfo
    title: str
    results: tuple[RuleResult, ...]  # one per service, in service order
    tally: Tally


@dataclass(frozen=True)
class ControlRow:
    control: str
    rules: tuple[RuleStatus, ...]
    tally: Tally  # over every result of these rules


@dataclass(frozen=True)
class FrameworkView:
    key: str
    controls: tuple[ControlRow, ...]


@dataclass(frozen=True)
class RequirementRow:
    id: str
    text: str | None  # None: cited by a rule, not declared by any pack
    pack: str | None
    source_key: str | None
    source: SourceDocument | None
    section: str  # of the source document, "" if not given
    quote: str  # the source's sentence, verbatim
    rules: tuple[RuleStatus, ...]
    tally: Tally


def rule_statuses(result: ScanResult, lang: str) -> dict[str, RuleStatus]:
    order = {s.service.key: i for i, s in enumerate(result.services)}
    by_rule: dict[str, list[RuleResult]] = defaultdict(list)
    for r in result.results:
        by_rule[r.rule_id].append(r)
    statuses = {}
    for rule in result.rules:
        results = tuple(sorted(by_rule[rule.id], key=lambda r: order.get(r.service, len(order))))
        statuses[rule.id] = RuleStatus(
            rule, localized(rule.title, lang), results, tally(r.status for r in results)
        )
    return statuses


def _combined(rules: list[RuleStatus]) -> Tally:
    return tally(r.status for rs in rules for r in rs.results)


def compliance_matrix(statuses: dict[str, RuleStatus]) -> tuple[FrameworkView, ...]:
    grid: dict[str, dict[str, list[RuleStatus]]] = defaultdict(lambda: defaultdict(list))
    for rs in statuses.values():
        for framework, controls in rs.rule.controls.items():
            row = grid[framework]  # an empty list still shows the framework: none applies
            for control in dict.fromkeys(controls):
                row[control].append(rs)
    known = [f for f in FRAMEWORK_ORDER if f in grid]
    frameworks = known + sorted(f for f in grid if f not in FRAMEWORK_ORDER)
    return tuple(
        FrameworkView(f, tuple(
            ControlRow(c, tuple(sorted(rules, key=lambda r: natural_key(r.rule.id))),
                       _combined(rules))
            for c, rules in sorted(grid[f].items(), key=lambda item: natural_key(item[0]))
        ))
        for f in frameworks
    )


def traceability(result: ScanResult, statuses: dict[str, RuleStatus],
                 lang: str) -> tuple[RequirementRow, ...]:
    enforcing: dict[str, list[RuleStatus]] = defaultdict(list)
    for rs in sorted(statuses.values(), key=lambda r: natural_key(r.rule.id)):
        for req_id in dict.fromkeys(rs.rule.requirements):
            enforcing[req_id].append(rs)
    rows: dict[str, RequirementRow] = {}
    for pack in result.packs:
        documents = {d.id: d for d in pack.sources}
        for req in pack.requirements:
            if req.id not in rows:  # the first pack that declares it wins
                rules = enforcing.get(req.id, [])
                rows[req.id] = RequirementRow(
                    req.id, localized(req.text, lang), pack.id, req.source,
                    documents.get(req.source), req.section, req.quote, tuple(rules),
                    _combined(rules))
    for req_id in sorted(set(enforcing) - set(rows), key=natural_key):
        rules = enforcing[req_id]
        rows[req_id] = RequirementRow(req_id, None, None, None, None, "", "", tuple(rules),
                                      _combined(rules))
    return tuple(rows.values())
