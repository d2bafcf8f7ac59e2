"""The judging core at its seams: evidence fields, unknowns, references, set verdicts, the gate.

Written against the survivors of `make mutation`: each test pins a behaviour a one-character
change in scanner/rulepack/{operators,conditions,evaluate}.py or scanner/verdict.py would break.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from scanner.facts import FactKind
from scanner.models import (
    Fact,
    FlagValue,
    ListValue,
    Message,
    MessageKey,
    MomentValue,
    NetworkService,
    NumberValue,
    Observation,
    ProbeStatus,
    RuleInfo,
    RuleResult,
    ServiceProtocol,
    Severity,
    Status,
    TextValue,
    Unknown,
)
from scanner.rulepack.conditions import Dynamic, evaluate_condition, parse_when, resolve, typed
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.model import Rule
from scanner.rulepack.operators import OPERATORS
from scanner.verdict import ExitCode, exit_code, gated_statuses, worst_status
from tests.reports.sample import make_sample_result

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
DYN = Dynamic(scan_time=NOW, contract_end=dt.date(2027, 6, 30))
HTTPS = NetworkService(host="h", address="127.0.0.1", dns_name="app.example.test", port=443,
                       protocol=ServiceProtocol.HTTPS)


def done(name: str, value: Any) -> Fact:
    return Fact(name=name, status=ProbeStatus.COMPLETED, value=value)


def obs(*values: str) -> tuple[Observation, ...]:
    return tuple(Observation(value=v, detail=f"seen {v}") for v in values)


# ---- operators: ordered comparisons refuse what is not ordered -----------------------------

@pytest.mark.parametrize("name", ["at_least", "at_most", "before", "after", "on_or_before",
                                  "on_or_after"])
@pytest.mark.parametrize("value", [True, "2048", None])
def test_ordered_operators_refuse_non_ordinals(name: str, value: Any) -> None:
    with pytest.raises(TypeError, match="needs an int or a datetime"):
        OPERATORS[name].compare(value, 1)


@pytest.mark.parametrize(("name", "low", "equal", "high"), [
    ("at_least", False, True, True), ("at_most", True, True, False),
    ("before", True, False, False), ("after", False, False, True),
    ("on_or_before", True, True, False), ("on_or_after", False, True, True),
])
def test_ordered_operators_at_the_boundary(name: str, low: bool, equal: bool,
                                           high: bool) -> None:
    compare = OPERATORS[name].compare
    assert [compare(v, 10) for v in (9, 10, 11)] == [low, equal, high]
    at = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    second = dt.timedelta(seconds=1)
    assert [compare(t, at) for t in (at - second, at, at + second)] == [low, equal, high]


@pytest.mark.parametrize(("name", "seen", "want", "holds"), [
    ("none_of", {"a"}, {"b"}, True), ("none_of", {"a", "b"}, {"b"}, False),
    ("none_of", set(), {"b"}, True),
    ("all_of", {"a", "b"}, {"a", "b"}, True), ("all_of", {"a"}, {"a", "b"}, False),
    ("all_of", {"a", "b", "c"}, {"a"}, True),
    ("any_of", {"a", "b"}, {"b", "c"}, True), ("any_of", {"a"}, {"c"}, False),
    ("any_of", set(), {"c"}, False),
    ("subset_of", {"a"}, {"a", "b"}, True), ("subset_of", {"a", "c"}, {"a", "b"}, False),
    ("subset_of", set(), {"a"}, True),
    ("one_of", {"RSA"}, {"RSA", "EC"}, True), ("one_of", {"DSA"}, {"RSA", "EC"}, False),
])
def test_list_operators(name: str, seen: set[str], want: set[str], holds: bool) -> None:
    assert OPERATORS[name].compare(frozenset(seen), frozenset(want)) is holds


def test_empty_and_equals() -> None:
    empty = OPERATORS["empty"].compare
    assert (empty(frozenset(), True), empty(frozenset({"a"}), True)) == (True, False)
    assert (empty(frozenset(), False), empty(frozenset({"a"}), False)) == (False, True)
    equals = OPERATORS["equals"].compare
    assert equals(2048, 2048) is True and equals(2047, 2048) is False
    assert equals(False, False) is True and equals(True, False) is False


# ---- conditions: operands, references, typed evidence -----------------------------------------

def test_parse_when() -> None:
    assert parse_when("2027-01-01") == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    aware = parse_when("2027-01-01T12:00:00+02:00")
    assert aware is not None and aware.utcoffset() == dt.timedelta(hours=2)  # kept as written
    assert parse_when("next year") is None


def test_resolve_follows_parameters_to_dynamic_values() -> None:
    params: dict[str, Any] = {"end": "${contract.end_date}", "alias": "${params.end}",
                              "now": "${scan.time}", "min": 2048}
    end = dt.datetime(2027, 6, 30, 23, 59, 59, tzinfo=dt.UTC)  # the whole last day counts
    assert resolve("${params.alias}", params, DYN) == (end, "contract.end_date")
    assert resolve("${params.now}", params, DYN) == (NOW, "scan.time")
    assert resolve("${params.min}", params, DYN) == (2048, None)
    assert resolve("${contract.end_date}", {}, Dynamic(NOW, None)) == (None, "contract.end_date")
    assert resolve("${role.allowed_ports}", {}, DYN) == (None, "role.allowed_ports")
    with_context = Dynamic(NOW, None, {"role.allowed_ports": ("443/tcp",)})
    assert resolve("${role.allowed_ports}", {}, with_context) == (("443/tcp",),
                                                                  "role.allowed_ports")
    assert resolve("plain", {}, DYN) == ("plain", None)


def test_typed_values() -> None:
    assert typed(True) == FlagValue(flag=True)
    assert typed(2048) == NumberValue(number=2048)
    assert typed(NOW) == MomentValue(moment=NOW)
    assert typed("2027-01-01", FactKind.DATETIME) == MomentValue(
        moment=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert typed("2027-01-01") == TextValue(text="2027-01-01")  # only datetime facts parse
    assert typed("RSA", FactKind.STR) == TextValue(text="RSA")
    assert typed("soon", FactKind.DATETIME) == TextValue(text="soon")
    assert typed((*obs("TLSv1.2"), "x", 443)) == ListValue(items=("TLSv1.2", "x", 443))
    assert typed((1.5,)) == ListValue(items=("1.5",))
    assert typed(None) == TextValue(text="None")
    assert typed(dt.date(2027, 1, 1)) == TextValue(text="2027-01-01")


def cond(fact: str, op: str, operand: Any, facts: dict[str, Fact], exclude: Any = None,
         params: dict[str, Any] | None = None, dyn: Dynamic = DYN) -> Any:
    return evaluate_condition(fact, op, operand, facts, params or {}, dyn, exclude)


def test_condition_evidence_of_a_verdict() -> None:
    facts = {"tls.protocols": done("tls.protocols", obs("TLSv1.0", "TLSv1.2"))}
    out = cond("tls.protocols", "none_of", "${params.bad}", facts,
               params={"bad": ("TLSv1.0", "TLSv1.1")})
    assert out.ok is False and out.unknown is None
    [ev] = out.evidence
    assert ev.fact == "tls.protocols" and ev.operator == "none_of" and ev.reference is None
    assert ev.expected == ListValue(items=("TLSv1.0", "TLSv1.1"))
    assert ev.actual == ListValue(items=("TLSv1.0", "TLSv1.2"))
    assert ev.decisive == obs("TLSv1.0") and ev.missing == () and ev.unknown is None


def test_condition_exclusions_and_aliases() -> None:
    facts = {"tls12.groups": done("tls12.groups", obs("secp256r1", "x25519"))}
    dyn = Dynamic(NOW, None, {"role.extra": ("X25519",)})
    out = cond("tls12.groups", "subset_of", ("P-256",), facts, exclude="${role.extra}", dyn=dyn)
    assert out.ok is True
    [ev] = out.evidence
    assert ev.excluded == ("x25519",)  # the alias, resolved
    assert ev.actual == ListValue(items=("secp256r1",))
    literal = cond("tls12.groups", "subset_of", ("P-256",), facts, exclude=("X25519",))
    assert literal.ok is True and literal.evidence[0].excluded == ("x25519",)
    by_param = cond("tls12.groups", "subset_of", ("P-256",), facts, exclude="${params.extra}",
                    params={"extra": ("X25519",)})
    assert by_param.ok is True and by_param.evidence[0].excluded == ("x25519",)
    nothing = cond("tls12.groups", "subset_of", ("P-256",), facts, exclude="${role.none}")
    assert nothing.ok is False and nothing.evidence[0].excluded == ()


@pytest.mark.parametrize(("facts", "status", "unknown"), [
    ({}, ProbeStatus.ERROR, Unknown.FACT_MISSING),
    ({"cert.key_bits": Fact(name="cert.key_bits", status=ProbeStatus.ERROR, reason="reset")},
     ProbeStatus.ERROR, Unknown.FACT_ERROR),
    ({"cert.key_bits": Fact(name="cert.key_bits", status=ProbeStatus.NOT_APPLICABLE)},
     ProbeStatus.NOT_APPLICABLE, Unknown.FACT_NOT_APPLICABLE),
])
def test_unknown_facts(facts: dict[str, Fact], status: ProbeStatus, unknown: Unknown) -> None:
    out = cond("cert.key_bits", "at_least", 2048, facts)
    assert (out.ok, out.unknown) == (None, status)
    [ev] = out.evidence
    assert ev.unknown is unknown and ev.actual is None
    assert ev.expected == NumberValue(number=2048)


def test_missing_reference_is_an_error_with_its_name() -> None:
    facts = {"cert.not_after": done("cert.not_after", NOW)}
    out = cond("cert.not_after", "on_or_after", "${contract.end_date}", facts,
               dyn=Dynamic(NOW, None))
    assert (out.ok, out.unknown) == (None, ProbeStatus.ERROR)
    [ev] = out.evidence
    assert ev.unknown is Unknown.REFERENCE_MISSING and ev.reference == "contract.end_date"
    assert ev.expected is None


def test_scalar_and_moment_evidence() -> None:
    facts = {"cert.not_after": done("cert.not_after", NOW),
             "cert.key_type": done("cert.key_type", "RSA")}
    out = cond("cert.not_after", "on_or_after", "${contract.end_date}", facts)
    assert out.ok is False
    [ev] = out.evidence
    assert ev.reference == "contract.end_date" and ev.actual == MomentValue(moment=NOW)
    assert ev.expected == MomentValue(moment=dt.datetime(2027, 6, 30, 23, 59, 59, tzinfo=dt.UTC))
    written = cond("cert.not_after", "before", "2027-01-01", facts)
    assert written.ok is True
    assert written.evidence[0].expected == MomentValue(moment=dt.datetime(2027, 1, 1,
                                                                          tzinfo=dt.UTC))
    listed = cond("cert.key_type", "one_of", ("RSA", "EC"), facts)
    assert listed.ok is True and listed.evidence[0].actual == TextValue(text="RSA")
    assert cond("cert.key_type", "none_of", ("RSA",), facts).ok is False


@pytest.mark.parametrize(("op", "operand", "ok", "decisive", "missing"), [
    ("none_of", ("SSLv3", "TLSv1.0"), False, ("TLSv1.0",), ()),
    ("subset_of", ("TLSv1.2", "TLSv1.3"), False, ("TLSv1.0",), ()),
    ("all_of", ("TLSv1.2", "TLSv1.3"), False, (), ("TLSv1.3",)),
    ("any_of", ("TLSv1.2", "TLSv1.3"), True, ("TLSv1.2",), ()),
    ("empty", True, False, ("TLSv1.0", "TLSv1.2"), ()),
    ("empty", False, True, (), ()),
])
def test_set_verdicts_name_what_decided(op: str, operand: Any, ok: bool,
                                        decisive: tuple[str, ...],
                                        missing: tuple[str, ...]) -> None:
    facts = {"tls.protocols": done("tls.protocols", obs("TLSv1.0", "TLSv1.2"))}
    out = cond("tls.protocols", op, operand, facts)
    assert out.ok is ok
    [ev] = out.evidence
    assert ev.decisive == obs(*decisive) and ev.missing == missing


# ---- rules: applicability, preconditions, messages ---------------------------------------------

PACK = """\
rempart: 1
pack: {id: core, version: "1", title: Core}
sources: {DOC: {title: Doc}}
requirements: {REQ-X-01: {text: X, source: DOC}}
rules:
  - id: CORE-KEY-001
    title: RSA keys are long enough
    severity: high
    requirements: [REQ-X-01]
    params: {kind: RSA, bits: 2048}
    when: {fact: cert.key_type, equals: "${params.kind}"}
    check: {fact: cert.key_bits, at_least: "${params.bits}"}
    rationale: r
    remediation: r
  - id: CORE-NEW-001
    title: Certificates issued before the scan are checked for their name
    severity: low
    requirements: [REQ-X-01]
    when: {fact: cert.not_before, before: "${scan.time}"}
    check: {fact: cert.hostname_match, equals: true}
    rationale: r
    remediation: r
  - id: CORE-PORT-001
    title: Host ports
    severity: low
    requirements: [REQ-X-01]
    applies_to: [https]
    check: {fact: ports.open, empty: true}
    rationale: r
    remediation: r
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rule]:
    path: Path = tmp_path_factory.mktemp("core") / "core.yaml"
    path.write_text(PACK)
    return {r.info.id: r for r in load_pack(str(path)).rules}


def test_precondition_reads_parameters(rules: dict[str, Rule]) -> None:
    rule = rules["CORE-KEY-001"]
    rsa = {"cert.key_type": done("cert.key_type", "RSA"),
           "cert.key_bits": done("cert.key_bits", 1024)}
    failed = evaluate_rule(rule, HTTPS, rsa, DYN)
    assert failed.status is Status.FAIL and failed.message.key is MessageKey.CHECKED
    ec = {**rsa, "cert.key_type": done("cert.key_type", "EC")}
    skipped = evaluate_rule(rule, HTTPS, ec, DYN)
    assert skipped.status is Status.NOT_APPLICABLE
    assert skipped.message.key is MessageKey.PRECONDITION_NOT_MET
    assert [e.fact for e in skipped.evidence] == ["cert.key_type"]
    unknown = evaluate_rule(rule, HTTPS, {}, DYN)
    assert unknown.status is Status.ERROR and unknown.message.key is MessageKey.UNCHECKED
    assert {e.unknown for e in unknown.evidence} == {Unknown.FACT_MISSING}


def test_precondition_reads_scan_values(rules: dict[str, Rule]) -> None:
    rule = rules["CORE-NEW-001"]
    facts = {"cert.not_before": done("cert.not_before", NOW - dt.timedelta(days=1)),
             "cert.hostname_match": done("cert.hostname_match", False)}
    assert evaluate_rule(rule, HTTPS, facts, DYN).status is Status.FAIL
    future = {**facts, "cert.not_before": done("cert.not_before", NOW)}
    assert evaluate_rule(rule, HTTPS, future, DYN).status is Status.NOT_APPLICABLE


def test_a_fact_that_does_not_exist_for_the_subject(rules: dict[str, Rule]) -> None:
    result = evaluate_rule(rules["CORE-PORT-001"], HTTPS, {}, DYN)
    assert result.status is Status.NOT_APPLICABLE
    assert result.message.key is MessageKey.FACT_NOT_FOR_SUBJECT
    assert result.message.fact == "ports.open"
    assert result.rule_id == "CORE-PORT-001" and result.service == HTTPS.key


# ---- the verdict -----------------------------------------------------------------------------

def test_worst_status() -> None:
    assert worst_status([]) is None
    assert worst_status([Status.PASS]) is Status.PASS
    assert worst_status([Status.NOT_APPLICABLE, Status.PASS]) is Status.PASS
    assert worst_status([Status.PASS, Status.ERROR, Status.FAIL]) is Status.FAIL


def _result(rule_id: str, status: Status) -> RuleResult:
    return RuleResult(rule_id=rule_id, service="h:443/https", status=status,
                      message=Message(key=MessageKey.CHECKED))


def test_gate_reads_each_rules_severity(rules: dict[str, Rule]) -> None:
    infos: dict[str, RuleInfo] = {r.info.id: r.info for r in rules.values()}

    def severity(rule_id: str) -> Severity:
        return infos[rule_id].severity if rule_id in infos else Severity.INFO

    results = [_result("CORE-KEY-001", Status.FAIL), _result("CORE-PORT-001", Status.FAIL)]
    assert gated_statuses(results, severity, Severity.HIGH) == [Status.FAIL, Status.PASS]
    assert gated_statuses(results, severity, Severity.LOW) == [Status.FAIL, Status.FAIL]
    assert gated_statuses(results, severity, Severity.CRITICAL) == [Status.PASS, Status.PASS]
    errored = [_result("CORE-KEY-001", Status.ERROR)]
    assert gated_statuses(errored, severity, Severity.CRITICAL) == [Status.ERROR]


def test_exit_status_reads_severities_from_the_result() -> None:
    sample = make_sample_result()
    high = next(r for r in sample.rules if r.severity is Severity.HIGH)
    failed = sample.model_copy(update={"results": (_result(high.id, Status.FAIL),)})
    assert exit_code(failed, Severity.HIGH) is ExitCode.FAILED
    assert exit_code(failed, Severity.CRITICAL) is ExitCode.OK
    # a result naming a rule the result does not define weighs as info
    stray = sample.model_copy(update={"results": (_result("NO-SUCH-001", Status.FAIL),)})
    assert exit_code(stray, Severity.LOW) is ExitCode.OK
    assert exit_code(stray, Severity.INFO) is ExitCode.FAILED
