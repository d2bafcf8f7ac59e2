"""One operator table drives the pack schema, the loader and the evaluator.

Every (operator, fact kind) pair of `scanner.rulepack.operators` has a case here: a pack using it
loads, a fact value that satisfies it passes and one that violates it fails, with the operator
named in the evidence. Adding an operator without a case fails `test_every_pair_has_a_case`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from scanner.facts import FACTS, FactKind
from scanner.models import Fact, NetworkService, Observation, ProbeStatus, ServiceProtocol, Status
from scanner.rulepack import schema
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.operators import OPERATORS, Decides, OperandShape, operators_for

FACT_OF_KIND = {FactKind.SET: "tls.protocols", FactKind.STR: "cert.key_type",
                FactKind.INT: "cert.key_bits", FactKind.BOOL: "cert.trusted",
                FactKind.DATETIME: "cert.not_after"}

# (operator, kind): (operand, a value that satisfies it, a value that violates it)
CASES: dict[tuple[str, FactKind], tuple[Any, Any, Any]] = {
    ("none_of", FactKind.SET): (["TLSv1.0"], ["TLSv1.2"], ["TLSv1.0", "TLSv1.2"]),
    ("all_of", FactKind.SET): (["TLSv1.2", "TLSv1.3"], ["TLSv1.2", "TLSv1.3"], ["TLSv1.2"]),
    ("any_of", FactKind.SET): (["TLSv1.3"], ["TLSv1.3"], ["TLSv1.2"]),
    ("subset_of", FactKind.SET): (["TLSv1.2", "TLSv1.3"], ["TLSv1.2"], ["TLSv1.0", "TLSv1.2"]),
    ("empty", FactKind.SET): (True, [], ["SSLv3"]),
    ("none_of", FactKind.STR): (["DSA"], "RSA", "DSA"),
    ("one_of", FactKind.STR): (["RSA", "EC"], "EC", "DSA"),
    ("one_of", FactKind.INT): ([2048, 4096], 4096, 1024),
    ("equals", FactKind.BOOL): (True, True, False),
    ("equals", FactKind.INT): (2048, 2048, 2047),
    ("equals", FactKind.STR): ("RSA", "RSA", "EC"),
    ("at_least", FactKind.INT): (2048, 2048, 2047),
    ("at_most", FactKind.INT): (4096, 4096, 4097),
    ("before", FactKind.DATETIME): ("2027-01-01", "2026-12-31T23:59:59", "2027-01-01T00:00:00"),
    ("after", FactKind.DATETIME): ("2027-01-01", "2027-01-01T00:00:01", "2027-01-01T00:00:00"),
    ("on_or_before", FactKind.DATETIME): ("2027-01-01", "2027-01-01T00:00:00",
                                          "2027-01-01T00:00:01"),
    ("on_or_after", FactKind.DATETIME): ("2027-01-01", "2027-01-01T00:00:00",
                                         "2026-12-31T23:59:59"),
}

PACK = """\
rempart: 1
pack: {{id: ops, version: "1", title: Operators}}
sources: {{DOC: {{title: Doc}}}}
requirements: {{REQ-OPS-01: {{text: Operators, source: DOC}}}}
rules:
  - id: OPS-OP-001
    title: One operator
    severity: low
    requirements: [REQ-OPS-01]
    check: {{fact: {fact}, {op}: {operand}}}
    rationale: r
    remediation: r
"""


def test_every_pair_has_a_case() -> None:
    pairs = {(op.name, kind) for op in OPERATORS.values() for kind in op.kinds}
    assert pairs == set(CASES)
    for kind in FactKind:
        assert operators_for(kind) == tuple(name for name, k in CASES if k is kind)


def _fact(name: str, raw: Any) -> Fact:
    kind = FACTS[name].kind
    value: Any = raw
    if kind is FactKind.SET:
        value = tuple(Observation(value=v) for v in raw)
    elif kind is FactKind.DATETIME:
        value = dt.datetime.fromisoformat(raw).replace(tzinfo=dt.UTC)
    return Fact(name=name, status=ProbeStatus.COMPLETED, value=value)


@pytest.mark.parametrize(("op", "kind"), sorted(CASES), ids=lambda v: str(v))
def test_operator_loads_and_judges(tmp_path: Path, op: str, kind: FactKind) -> None:
    operand, good, bad = CASES[(op, kind)]
    fact = FACT_OF_KIND[kind]
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.format(fact=fact, op=op, operand=json.dumps(operand)))
    rule = load_pack(str(path)).rules[0]
    service = NetworkService(host="h", address="127.0.0.1", dns_name=None, port=443,
                             protocol=ServiceProtocol.HTTPS)
    dyn = Dynamic(scan_time=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), contract_end=None)
    for raw, want in ((good, Status.PASS), (bad, Status.FAIL)):
        result = evaluate_rule(rule, service, {fact: _fact(fact, raw)}, dyn)
        assert result.status is want, (raw, result)
        assert [e.operator for e in result.evidence] == [op]


def test_committed_pack_schema_is_generated_from_the_table() -> None:
    committed = json.loads(schema.committed_text())
    props = committed["$defs"]["condition"]["properties"]
    assert set(OPERATORS) <= set(props)


def test_inventory_schema_protocols_are_the_network_services() -> None:
    """The inventory's service protocols come from ServiceProtocol (one vocabulary)."""
    from scanner.inventory import inventory_schema

    host = inventory_schema()["properties"]["hosts"]["items"]
    protocol = host["properties"]["services"]["items"]["properties"]["protocol"]
    assert protocol["enum"] == [p.value for p in ServiceProtocol if p.network_service]


@pytest.mark.parametrize("op", operators_for(FactKind.SET))
def test_a_set_operator_with_a_flag_operand_shows_every_value(op: str) -> None:
    """The evaluator reads what decided a set verdict from the table: a true/false operand has
    no list to match the fact's values against, so it shows them all (or none)."""
    spec = OPERATORS[op]
    assert (spec.operand is OperandShape.FLAG) == (spec.decides is Decides.ALL_IF_TRUE)
