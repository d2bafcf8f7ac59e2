"""Every built-in rule has a passing and a failing fixture; each fixture is one test case.

A fixture (tests/rules/<RULE-ID>/<pass|fail|...>[-what].yaml) gives the subject's protocol,
its facts (a plain value, a list for set facts, {error: reason} or {not_applicable: reason}),
optional `context` (inventory values such as role.allowed_ports, carried by the typed subject
of that kind: tests/subjects.py), and the expected status.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reports.wording import Wording
from scanner.facts import FACTS, FactKind
from scanner.models import (
    Fact,
    ListValue,
    MessageKey,
    Observation,
    ProbeStatus,
    ServiceProtocol,
    Status,
    Unknown,
)
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import BUILTIN_PACKS, load_pack
from scanner.rulepack.model import Rule
from scanner.rulepack.ruleset import build_ruleset
from tests.subjects import subject_for

HERE = Path(__file__).parent
RULES = {r.info.id: r for r in build_ruleset([load_pack(n) for n in BUILTIN_PACKS]).rules}
FIXTURES = sorted(HERE.glob("*/*.yaml"))


def make_fact(name: str, raw: Any) -> Fact:
    if isinstance(raw, dict) and "error" in raw:
        return Fact(name=name, status=ProbeStatus.ERROR, reason=raw["error"])
    if isinstance(raw, dict) and "not_applicable" in raw:
        return Fact(name=name, status=ProbeStatus.NOT_APPLICABLE, reason=raw["not_applicable"])
    kind = FACTS[name].kind
    value: Any = raw
    if kind is FactKind.SET:
        value = tuple(Observation(value=v) if isinstance(v, str) else Observation(**v)
                      for v in raw)
    elif kind is FactKind.DATETIME:
        value = dt.datetime.fromisoformat(raw)
    return Fact(name=name, status=ProbeStatus.COMPLETED, value=value, summary="fixture")


def run_fixture(rule: Rule, data: dict[str, Any]) -> Any:
    service = subject_for(ServiceProtocol(data["protocol"]), data.get("context"))
    facts = {n: make_fact(n, v) for n, v in (data.get("facts") or {}).items()}
    end = data.get("contract_end")
    dyn = Dynamic(scan_time=dt.datetime.fromisoformat(data["scan_time"]),
                  contract_end=dt.date.fromisoformat(end) if end else None)
    return evaluate_rule(rule, service, facts, dyn)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture(path: Path) -> None:
    data = YAML(typ="safe").load(path.read_text())
    rule = RULES[path.parent.name]
    result = run_fixture(rule, data)
    assert result.status == Status(data["expect"]), result.message
    if result.status in (Status.PASS, Status.FAIL):
        assert result.evidence, "a verdict without evidence"
        assert all(e.expected is not None and e.actual is not None for e in result.evidence)
    for lang in ("en", "fr"):  # every result can be worded in every language
        words = Wording(lang)
        lines = [words.message(result), *(words.line(e) for e in result.evidence)]
        assert any(lines), (lang, result)
        assert all("{" not in line for line in lines), lines  # no placeholder left unfilled


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_pass_and_fail_fixtures(rule_id: str) -> None:
    names = {p.stem.split("-")[0] for p in (HERE / rule_id).glob("*.yaml")}
    assert {"pass", "fail"} <= names


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_unchecked_facts_give_error_never_pass(rule_id: str) -> None:
    rule = RULES[rule_id]
    data = YAML(typ="safe").load((HERE / rule_id / "pass.yaml").read_text())
    data["facts"] = {n: {"error": "connection reset by peer"} for n in rule.info.facts}
    result = run_fixture(rule, data)
    assert result.status is Status.ERROR
    assert result.message.key is MessageKey.UNCHECKED
    assert {e.unknown for e in result.evidence} == {Unknown.FACT_ERROR}


def test_fail_evidence_names_the_offending_suite() -> None:
    data = YAML(typ="safe").load((HERE / "TLS-CIPH-001" / "fail.yaml").read_text())
    result = run_fixture(RULES["TLS-CIPH-001"], data)
    evidence = result.evidence[0]
    assert [o.value for o in evidence.decisive] == ["rc4"]
    assert "TLS_RSA_WITH_RC4_128_SHA under TLSv1.2" in evidence.decisive[0].detail
    assert (evidence.operator, evidence.expected) == ("none_of", ListValue(items=("rc4",)))
