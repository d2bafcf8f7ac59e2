"""Every severity's name in every output, pinned one by one (a swapped level is a wrong alert)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.levels import sarif_level, security_severity
from reports.sarif import render_sarif
from scanner.models import Severity, Status
from tests.reports.sample import make_sample_result

EXPECTED = [  # severity, SARIF level, GitHub security-severity
    (Severity.CRITICAL, "error", "9.5"),
    (Severity.HIGH, "error", "8.0"),
    (Severity.MEDIUM, "warning", "5.5"),
    (Severity.LOW, "note", "3.0"),
    (Severity.INFO, "note", None),
]


def test_every_severity_is_pinned() -> None:
    assert {row[0] for row in EXPECTED} == set(Severity)


@pytest.mark.parametrize(("severity", "level", "score"), EXPECTED)
def test_mapping(severity: Severity, level: str, score: str | None) -> None:
    assert sarif_level(severity) == level
    assert security_severity(severity) == score


@pytest.mark.parametrize(("severity", "level", "score"), EXPECTED)
def test_sarif_output_uses_the_mapping(severity: Severity, level: str, score: str | None) -> None:
    """A failed result of a rule at each severity, rendered: rule and result carry the level."""
    sample = make_sample_result()
    rule = sample.rules[0].model_copy(update={"severity": severity})
    failed = next(r for r in sample.results if r.rule_id == rule.id)
    failed = failed.model_copy(update={"status": Status.FAIL})
    errored = failed.model_copy(update={"status": Status.ERROR})
    for result, want in ((failed, level), (errored, "none")):
        one = sample.model_copy(update={"rules": (rule,), "results": (result,)})
        run = json.loads(render_sarif(one, base_dir=Path.cwd()))["runs"][0]
        [sarif_rule] = run["tool"]["driver"]["rules"]
        assert sarif_rule["defaultConfiguration"]["level"] == level
        assert sarif_rule["properties"].get("security-severity") == score
        [res] = run["results"]
        assert res["level"] == want


