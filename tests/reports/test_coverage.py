"""The statement of applicability: one pure function, the same summary in JSON, SARIF and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reports.coverage import Coverage, CoverageSummary, coverage_summary
from reports.html import render_html
from reports.json_report import load_json, render_json
from reports.sarif import sarif_log
from scanner.models import Message, MessageKey, Requirement, RuleResult, ScanResult, Status
from tests.reports.sample import make_sample_result

ROOT = Path(__file__).resolve().parents[2]
RESULT_SCHEMA = json.loads((ROOT / "reports/schema/result.schema.json").read_text())
P, F, E, NA = Status.PASS, Status.FAIL, Status.ERROR, Status.NOT_APPLICABLE
# rule -> (requirements, Annex A controls, statuses of its results)
RULES = {
    "R-A-001": (["REQ-A-01"], ["A.8.24"], [P, F]),
    "R-A-002": (["REQ-A-01"], ["A.8.24"], [P]),
    "R-B-001": (["REQ-B-01"], ["A.8.21"], [P]),
    "R-B-002": (["REQ-B-01"], ["A.8.20"], [NA, NA]),
    "R-C-001": (["REQ-C-01"], ["A.8.21"], [E, P]),
    "R-D-001": (["REQ-D-01"], [], [NA]),
    "R-F-001": (["REQ-F-01"], [], []),
}
DECLARED = ["REQ-A-01", "REQ-B-01", "REQ-C-01", "REQ-D-01", "REQ-E-01", "REQ-F-01"]


@pytest.fixture(scope="module")
def result() -> ScanResult:
    sample = make_sample_result()
    template = sample.rules[0]
    service = sample.services[0].service.key
    rules = tuple(template.model_copy(update={"id": rid, "requirements": tuple(reqs),
                                              "controls": {"iso27001": tuple(ctl)}})
                  for rid, (reqs, ctl, _) in RULES.items())
    results = tuple(RuleResult(rule_id=rid, service=service, status=st,
                               message=Message(key=MessageKey.CHECKED))
                    for rid, (_, _, statuses) in RULES.items() for st in statuses)
    pack = sample.packs[0].model_copy(update={"requirements": tuple(
        Requirement(id=q, text={"en": q}, source=sample.packs[0].sources[0].id)
        for q in DECLARED)})
    return sample.model_copy(update={"packs": (pack,), "rules": rules, "results": results})


def test_each_requirement_and_control_gets_its_coverage(result: ScanResult) -> None:
    summary = coverage_summary(result)
    got = {i.id: (i.coverage, i.result) for i in summary.requirements}
    assert got == {
        "REQ-A-01": (Coverage.COVERED, F),  # every rule gave a verdict
        "REQ-B-01": (Coverage.PARTIAL, P),  # one rule only not applicable
        "REQ-C-01": (Coverage.PARTIAL, E),  # a verdict, but a check could not be made
        "REQ-D-01": (Coverage.NOT_COVERED, NA),  # no verdict at all
        "REQ-E-01": (Coverage.NOT_COVERED, None),  # no rule checks it
        "REQ-F-01": (Coverage.NOT_COVERED, None),  # its rule applied to nothing
    }
    controls = {i.id: i.coverage for i in summary.controls}
    assert controls == {"A.8.20": Coverage.NOT_COVERED, "A.8.21": Coverage.PARTIAL,
                        "A.8.24": Coverage.COVERED}
    assert summary.totals["requirements"] == {
        Coverage.COVERED: 1, Coverage.PARTIAL: 2, Coverage.NOT_COVERED: 3}
    a = next(i for i in summary.requirements if i.id == "REQ-A-01")
    assert [(r.rule_id, r.counts) for r in a.rules] == [
        ("R-A-001", {P: 1, F: 1}), ("R-A-002", {P: 1})]


def test_json_carries_the_summary_and_reads_back(result: ScanResult) -> None:
    text = render_json(result)
    data = json.loads(text)
    jsonschema.validate(data, RESULT_SCHEMA)
    assert CoverageSummary.model_validate(data["coverage"]) == coverage_summary(result)
    assert load_json(text) == result  # derived: dropped on reading, computed again


def test_sarif_run_properties_carry_it_and_results_stay_failures(result: ScanResult) -> None:
    run = sarif_log(result, base_dir=ROOT)["runs"][0]
    assert run["properties"]["rempart/coverage"] == \
        coverage_summary(result).model_dump(mode="json")
    assert {r["ruleId"] for r in run["results"]} == {"R-A-001", "R-C-001"}  # fail, error


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_html_shows_every_item_with_its_coverage(result: ScanResult, lang: str) -> None:
    html = render_html(result, lang=lang)
    soa = html[html.index('id="soa"'):html.index('id="matrix"')]
    for q in DECLARED:
        assert f">{q}</a>" in soa
    assert soa.count('class="soa-not_covered"') == 4  # 3 requirements, 1 control
    assert soa.count('class="soa-partial"') == 3 and soa.count('class="soa-covered"') == 2
