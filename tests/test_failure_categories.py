"""Failures are data with a category: refused connections, probe crashes, schema-1 results."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.json_report import load_json
from scanner.cli import main
from scanner.engine import ScanOptions, run_probe
from scanner.facts import FactKind, FactSpec
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeInputs, ProbeTarget
from tests.errors import assert_error

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_is_categorised(tmp_path: Path) -> None:
    port = closed_port()
    out = CliRunner().invoke(main, ["scan", "--target", f"127.0.0.1:{port}/tls", "-q",
                                    "--json", str(tmp_path / "r.json"), "--timeout", "1"])
    assert out.exit_code == 3, out.output
    result = load_json((tmp_path / "r.json").read_text())
    assert result.schema_version == "3"
    facts = result.services[0].facts
    assert facts
    for fact in facts:
        assert_error(fact, ReasonCategory.REFUSED, "refused")
    assert {r.category for r in result.services[0].probes} == {ReasonCategory.REFUSED}


class Crashing:
    name = "tls"
    facts = (FactSpec("tls.protocols", FactKind.SET, "tls", "versions"),)
    needs = ()
    makes = ()

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            inputs: ProbeInputs) -> list[Fact]:
        raise KeyError("bug")


class Failing(Crashing):
    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            inputs: ProbeInputs) -> list[Fact]:
        raise ProbeFailure("the server said nonsense")


TARGET = ProbeTarget(address="127.0.0.1", port=1, protocol=ServiceProtocol.TLS, sni=None,
                     expected_name="127.0.0.1")


def context() -> ProbeContext:
    return ProbeContext(timeout=1, deadline=float("inf"), options=ScanOptions().probe)


@pytest.mark.internal_error_expected
def test_a_crash_is_an_internal_error_not_a_raise() -> None:
    [fact] = run_probe(Crashing(), TARGET, frozenset({"tls.protocols"}), context())
    assert fact.status is ProbeStatus.ERROR
    assert fact.category is ReasonCategory.INTERNAL_ERROR
    assert fact.reason == "probe tls crashed: KeyError: 'bug'"


def test_a_probe_failure_keeps_its_category() -> None:
    [fact] = run_probe(Failing(), TARGET, frozenset({"tls.protocols"}), context())
    assert (fact.category, fact.reason) == (ReasonCategory.PROTOCOL_ERROR,
                                            "the server said nonsense")


def test_an_error_always_has_a_category() -> None:
    fact = Fact(name="tls.protocols", status=ProbeStatus.ERROR, reason="why")
    assert fact.category is ReasonCategory.UNSPECIFIED
    assert Fact(name="x", status=ProbeStatus.COMPLETED, value=True).category is None


@pytest.mark.parametrize(("fixture", "status"), [("result-v1-demo.json", 1),
                                                 ("result-v1-errors.json", 3)])
def test_schema_1_results_are_still_read(tmp_path: Path, fixture: str, status: int) -> None:
    source = FIXTURES / fixture
    assert json.loads(source.read_text())["schema_version"] == "1"
    out = CliRunner().invoke(main, ["report", str(source), "--json", str(tmp_path / "r.json"),
                                    "--html", str(tmp_path / "r.html"),
                                    "--sarif", str(tmp_path / "r.sarif")])
    assert out.exit_code == status, out.output
    upgraded = load_json((tmp_path / "r.json").read_text())
    original = json.loads(source.read_text())
    assert upgraded.schema_version == "3"
    assert len(upgraded.results) == len(original["results"])
    errors = [f for s in upgraded.services for f in s.facts if f.status is ProbeStatus.ERROR]
    assert all(f.category is ReasonCategory.UNSPECIFIED for f in errors)
    assert bool(errors) == (status == 3)
    assert (tmp_path / "r.html").stat().st_size > 0
