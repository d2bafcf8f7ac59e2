"""Every severity's name in every output, pinned one by one (a swapped level is a wrong alert)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from reports.gitlab import gitlab_issues
from reports.junit import render_junit
from reports.levels import (
    JUnitOutcome,
    gitlab_severity,
    junit_outcome,
    junit_type,
    sarif_level,
    security_severity,
)
from reports.sarif import render_sarif
from scanner.models import RuleResult, ScanResult, Severity, Status
from tests.reports.sample import make_sample_result

EXPECTED = [  # severity, SARIF level, GitHub security-severity
    (Severity.CRITICAL, "error", "9.5"),
    (Severity.HIGH, "error", "8.0"),
    (Severity.MEDIUM, "warning", "5.5"),
    (Severity.LOW, "note", "3.0"),
    (Severity.INFO, "note", None),
]
GITLAB = [  # severity, GitLab code-quality severity of a failure or an error
    (Severity.CRITICAL, "blocker"),
    (Severity.HIGH, "critical"),
    (Severity.MEDIUM, "major"),
    (Severity.LOW, "minor"),
    (Severity.INFO, "info"),
]
JUNIT = [  # status, JUnit element, its `type` (for a rule of severity high)
    (Status.FAIL, JUnitOutcome.FAILURE, "high"),
    (Status.ERROR, JUnitOutcome.ERROR, "not-checked"),
    (Status.WAIVED, JUnitOutcome.SKIPPED, None),
    (Status.NOT_APPLICABLE, JUnitOutcome.SKIPPED, None),
    (Status.PASS, None, None),
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




def test_every_severity_and_status_is_pinned_for_gitlab_and_junit() -> None:
    assert {row[0] for row in GITLAB} == set(Severity)
    assert {row[0] for row in JUNIT} == set(Status)
    assert [o.value for o in JUnitOutcome] == ["failure", "error", "skipped"]


@pytest.mark.parametrize(("severity", "name"), GITLAB)
def test_gitlab_mapping(severity: Severity, name: str) -> None:
    assert gitlab_severity(severity, Status.FAIL) == name
    assert gitlab_severity(severity, Status.ERROR) == name
    assert gitlab_severity(severity, Status.WAIVED) == "info"  # GitLab has no suppression


def test_gitlab_rule_missing_from_the_result_is_major() -> None:
    assert gitlab_severity(None, Status.FAIL) == "major"
    assert gitlab_severity(None, Status.WAIVED) == "info"


@pytest.mark.parametrize(("status", "element", "type_"), JUNIT)
def test_junit_mapping(status: Status, element: JUnitOutcome | None, type_: str | None) -> None:
    assert junit_outcome(status) is element
    assert junit_type(Severity.HIGH, status) == type_


@pytest.mark.parametrize("severity", list(Severity))
def test_junit_failure_type_is_the_severity(severity: Severity) -> None:
    assert junit_type(severity, Status.FAIL) == severity.value
    assert junit_type(severity, Status.ERROR) == "not-checked"
    assert junit_type(None, Status.FAIL) == ""  # the rule is missing from the result
    assert junit_type(None, Status.ERROR) == "not-checked"


def _one(severity: Severity, status: Status) -> tuple[ScanResult, RuleResult]:
    """The sample result cut down to one rule of `severity` and one result of `status`."""
    sample = make_sample_result()
    rule = sample.rules[0].model_copy(update={"severity": severity})
    rr = next(r for r in sample.results if r.rule_id == rule.id)
    rr = rr.model_copy(update={"status": status,
                               "waiver": "W-9" if status is Status.WAIVED else None})
    return sample.model_copy(update={"rules": (rule,), "results": (rr,), "waivers": (),
                                     "exclusions": ()}), rr


@pytest.mark.parametrize(("severity", "name"), GITLAB)
def test_gitlab_output_uses_the_mapping(severity: Severity, name: str) -> None:
    for status, want in ((Status.FAIL, name), (Status.ERROR, name), (Status.WAIVED, "info")):
        result, _ = _one(severity, status)
        [issue] = gitlab_issues(result, base_dir=Path.cwd())
        assert issue["severity"] == want, status
    for status in (Status.PASS, Status.NOT_APPLICABLE):
        assert gitlab_issues(_one(severity, status)[0], base_dir=Path.cwd()) == []


@pytest.mark.parametrize(("status", "element", "type_"), JUNIT)
def test_junit_output_uses_the_mapping(tmp_path: Path, status: Status,
                                       element: JUnitOutcome | None, type_: str | None) -> None:
    result, _ = _one(Severity.HIGH, status)
    path = tmp_path / "r.xml"
    path.write_text(render_junit(result))
    [case] = [c for suite in JUnitXml.fromfile(str(path)) for c in suite]
    classes = {JUnitOutcome.FAILURE: Failure, JUnitOutcome.ERROR: Error,
               JUnitOutcome.SKIPPED: Skipped}
    if element is None:
        assert case.result == []
        return
    [outcome] = case.result
    assert type(outcome) is classes[element]
    if type_ is not None:
        assert outcome.type == type_
    if status is Status.WAIVED:
        assert outcome.message == "waived by W-9"
