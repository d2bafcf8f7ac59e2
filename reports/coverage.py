"""Statement of applicability: how far a scan checked each requirement and each Annex A control.

One pure function of the result, used by the JSON, SARIF and HTML outputs alike. A rule gives a
verdict when it passed or failed on at least one service; not applicable and error results give
none. An item is covered when every rule behind it gave a verdict and none could not be checked,
partly covered when some did, and not covered when no rule checks it or none gave a verdict.
"""

from __future__ import annotations

import re
from collections import defaultdict
from enum import StrEnum

from pydantic import Field

from reports.html_tally import tally
from scanner.models import Frozen, RuleResult, ScanResult, Status

ANNEX_A = "iso27001"


class Coverage(StrEnum):
    COVERED = "covered"
    PARTIAL = "partial"
    NOT_COVERED = "not_covered"


class RuleCoverage(Frozen):
    rule_id: str
    counts: dict[Status, int] = Field(description="Results of the rule by status")


class ItemCoverage(Frozen):
    id: str = Field(description="Requirement ID or Annex A control")
    coverage: Coverage
    result: Status | None = Field(description="Worst status of the rules' results; None: none")
    rules: tuple[RuleCoverage, ...]


class CoverageSummary(Frozen):
    """Derived from the result (never read back): recomputed by every output."""

    requirements: tuple[ItemCoverage, ...]
    controls: tuple[ItemCoverage, ...] = Field(description="ISO/IEC 27001:2022 Annex A")
    totals: dict[str, dict[Coverage, int]] = Field(
        description="`requirements` and `controls`: how many items have each coverage")


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", text) if p)


def _item(item_id: str, rule_ids: list[str],
          by_rule: dict[str, list[RuleResult]]) -> ItemCoverage:
    rules = []
    gave_verdict = []
    for rule_id in rule_ids:
        statuses = [r.status for r in by_rule.get(rule_id, [])]
        counts = {s: statuses.count(s) for s in Status if s in statuses}
        rules.append(RuleCoverage(rule_id=rule_id, counts=counts))
        verdict = bool({Status.PASS, Status.FAIL} & set(statuses))
        gave_verdict.append(verdict and Status.ERROR not in statuses)
    if rule_ids and all(gave_verdict):
        coverage = Coverage.COVERED
    elif any(Status.PASS in r.counts or Status.FAIL in r.counts for r in rules):
        coverage = Coverage.PARTIAL
    else:
        coverage = Coverage.NOT_COVERED
    worst = tally(r.status for rule_id in rule_ids for r in by_rule.get(rule_id, [])).worst
    return ItemCoverage(id=item_id, coverage=coverage, result=worst, rules=tuple(rules))


def _totals(items: tuple[ItemCoverage, ...]) -> dict[Coverage, int]:
    return {c: sum(1 for i in items if i.coverage is c) for c in Coverage}


def coverage_summary(result: ScanResult) -> CoverageSummary:
    """Every requirement the packs declare (or a rule cites), every Annex A control they map."""
    by_rule: dict[str, list[RuleResult]] = defaultdict(list)
    for r in result.results:
        by_rule[r.rule_id].append(r)
    citing: dict[str, list[str]] = defaultdict(list)
    mapping: dict[str, list[str]] = defaultdict(list)
    for rule in sorted(result.rules, key=lambda r: _natural(r.id)):
        for req in dict.fromkeys(rule.requirements):
            citing[req].append(rule.id)
        for control in dict.fromkeys(rule.controls.get(ANNEX_A, ())):
            mapping[control].append(rule.id)
    declared = [q.id for p in result.packs for q in p.requirements]
    req_ids = list(dict.fromkeys(declared)) + sorted(set(citing) - set(declared), key=_natural)
    requirements = tuple(_item(q, citing.get(q, []), by_rule) for q in req_ids)
    controls = tuple(_item(c, mapping[c], by_rule) for c in sorted(mapping, key=_natural))
    return CoverageSummary(
        requirements=requirements, controls=controls,
        totals={"requirements": _totals(requirements), "controls": _totals(controls)},
    )
