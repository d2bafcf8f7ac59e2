"""JUnit XML (validated against the xUnit plugin's junit-10.xsd, parsed back with junitparser)
and the GitLab code-quality report (checked against its required structure)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

from reports.gitlab import render_gitlab
from reports.junit import render_junit
from scanner.models import (
    Evidence,
    Exclusion,
    Message,
    MessageKey,
    Observation,
    ScanResult,
    SourceLocation,
    Status,
)
from scanner.waivers import apply_policy, load_waivers
from tests.reports.sample import HOSTILE_SUBJECT, make_sample_result
from tests.weekly.test_waivers import WAIVERS

SCHEMAS = Path(__file__).parent / "schemas"
JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
GITLAB_SCHEMA = json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text())


def policy_result(tmp_path: Path) -> ScanResult:
    (tmp_path / "w.yaml").write_text(WAIVERS)
    excluded = (Exclusion(rule_id="CERT-SIG-001", reason="legacy appliance", by="pack",
                          location=SourceLocation(file=str(tmp_path / "pack.yaml"), line=7)),)
    return apply_policy(make_sample_result(), excluded, load_waivers(tmp_path / "w.yaml"))


def test_junit_validates_and_parses_back(tmp_path: Path) -> None:
    result = policy_result(tmp_path)
    text = render_junit(result)
    JUNIT_XSD.validate(text)
    path = tmp_path / "r.xml"
    path.write_text(text)
    xml = JUnitXml.fromfile(str(path))
    suites = {s.name: s for s in xml}
    assert set(suites) == {s.service.key for s in result.services} | {"excluded rules"}
    cases = {(c.classname, c.name.split(":")[0]): c for s in xml for c in s}
    assert len(cases) == len(result.results) + 1  # one per rule and service, + exclusion
    for rr in result.results:
        outcome = cases[rr.service, rr.rule_id].result
        kinds = {Status.FAIL: Failure, Status.ERROR: Error, Status.WAIVED: Skipped,
                 Status.NOT_APPLICABLE: Skipped}
        if rr.status is Status.PASS:
            assert outcome == []
        else:
            assert isinstance(outcome[0], kinds[rr.status]), rr
    waived = cases["mail:25/smtp", "TLS-PROTO-002"].result[0]
    assert "W-1" in waived.message and "Jane Roe (CISO)" in waived.message
    assert "2025-06-30" in waived.message
    excluded = cases["excluded", "CERT-SIG-001"].result[0]
    assert "legacy appliance" in excluded.message
    assert xml.failures == sum(r.status is Status.FAIL for r in result.results)
    assert xml.errors == sum(r.status is Status.ERROR for r in result.results)


def test_junit_keeps_hostile_text_as_data(tmp_path: Path) -> None:
    result = make_sample_result()
    bad = f"</failure><x>\x00\x1b[31m {HOSTILE_SUBJECT}"
    evidence = Evidence(fact="tls.protocols", operator="none_of",
                        decisive=(Observation(value="TLSv1.0", detail=bad),))
    hostile = result.results[0].model_copy(update={
        "status": Status.FAIL, "message": Message(key=MessageKey.LEGACY, text=bad),
        "evidence": (evidence,)})
    result = result.model_copy(update={"results": (hostile, *result.results[1:])})
    text = render_junit(result)
    JUNIT_XSD.validate(text)
    assert "<x>" not in text and "\x1b" not in text and "\x00" not in text


def test_gitlab_report_matches_the_format(tmp_path: Path) -> None:
    result = policy_result(tmp_path)
    issues = json.loads(render_gitlab(result, base_dir=tmp_path))
    jsonschema.validate(issues, GITLAB_SCHEMA)
    flagged = [r for r in result.results
               if r.status in (Status.FAIL, Status.ERROR, Status.WAIVED)]
    assert len(issues) == len(flagged) + 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_check = {(i["check_name"], i["description"].split(":")[0]): i for i in issues}
    waived = next(i for i in issues if "waived by W-1" in i["description"])
    assert waived["severity"] == "info" and "Jane Roe (CISO)" in waived["description"]
    excluded = next(i for i in issues if i["check_name"] == "excluded/CERT-SIG-001")
    assert excluded["location"] == {"path": "pack.yaml", "lines": {"begin": 7}}
    assert by_check  # every issue is located on the inventory line of its service
    crit = [i for i in issues if i["check_name"] == "TLS-PROTO-001"]
    assert crit and crit[0]["severity"] in ("blocker", "critical")
