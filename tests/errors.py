"""Assertions that name an error: its reason category and a fragment of its detail.

Probes turn any exception into an `error` (category internal_error), so a test that only checks
for `error` would pass on a crash; these helpers make every error test say which error it expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.wording import fact_of
from scanner.models import (
    Fact,
    ProbeRun,
    ProbeStatus,
    ReasonCategory,
    RuleResult,
    ScanResult,
    Status,
    Unknown,
)

Failed = Fact | ProbeRun | Mapping[str, Any]  # a fact or probe run, or its JSON object


def assert_error(outcome: Failed, category: ReasonCategory, detail: str) -> None:
    """`outcome` failed with `category`, and its reason contains `detail`."""
    if isinstance(outcome, Mapping):
        got = (outcome.get("status"), outcome.get("category"), outcome.get("reason") or "")
    else:
        got = (outcome.status, outcome.category, outcome.reason or "")
    status, cat, reason = got
    assert (status, cat) == (ProbeStatus.ERROR, category), outcome
    assert detail in reason, f"{detail!r} not in the reason of {outcome}"


def assert_rule_error(result: ScanResult, rr: RuleResult, category: ReasonCategory,
                      detail: str) -> None:
    """The rule result `rr` of `result` is `error` because a fact it needs failed with
    `category` and a reason containing `detail`."""
    facts = {ev.fact: fact_of(result, rr, ev.fact) for ev in rr.evidence}
    assert_judged_error(rr, {k: v for k, v in facts.items() if v is not None}, category, detail)


def assert_judged_error(rr: RuleResult, facts: Mapping[str, Fact], category: ReasonCategory,
                        detail: str) -> None:
    """Like assert_rule_error, the facts given by name."""
    assert rr.status is Status.ERROR, rr
    failed = [ev.fact for ev in rr.evidence if ev.unknown is Unknown.FACT_ERROR]
    assert failed, f"{rr.rule_id} on {rr.service} is an error without a failed fact: {rr}"
    for name in failed:
        assert name in facts, f"{rr.rule_id}: the failed fact {name} is missing"
        assert_error(facts[name], category, detail)


def rule_result(result: ScanResult, rule_id: str, service_prefix: str = "") -> RuleResult:
    """The one result of `rule_id` on the service whose key starts with `service_prefix`."""
    [rr] = [r for r in result.results
            if r.rule_id == rule_id and r.service.startswith(service_prefix)]
    return rr
