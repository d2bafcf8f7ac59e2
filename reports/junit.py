"""JUnit XML for CI test reports: one test suite per service, one test case per rule.

fail -> <failure>, error (could not be checked) -> <error>, waived and not applicable ->
<skipped> with the reason (the waiver, its approver and expiry). Excluded rules get a suite of
their own, each a skipped test case with why it was excluded. Built with junitparser.
"""

from __future__ import annotations

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from reports.levels import JUnitOutcome, junit_outcome, junit_type
from reports.sarif import clean
from reports.wording import Wording
from scanner.models import RuleResult, ScanResult, Severity, Status, WaiverRecord


def render_junit(result: ScanResult) -> str:
    rules = {r.id: r for r in result.rules}
    waivers = {w.id: w for w in result.waivers}
    xml = JUnitXml(name=f"Rempart {clean(result.inventory.contract.customer)}")
    for report in result.services:
        key = report.service.key
        suite = TestSuite(key)
        suite.timestamp = result.started_at.isoformat()
        suite.add_property("endpoint", clean(report.service.endpoint))
        for rr in (r for r in result.results if r.service == key):
            rule = rules.get(rr.rule_id)
            title = clean(rule.title["en"]) if rule else ""
            case = TestCase(f"{rr.rule_id}: {title}" if title else rr.rule_id, classname=key,
                            time=0)
            outcome = _outcome(rr, result, rule.severity if rule else None, waivers)
            if outcome is not None:
                case.result = [outcome]
            suite.add_testcase(case)
        xml.add_testsuite(suite)
    if result.exclusions:
        excluded = TestSuite("excluded rules")
        for ex in result.exclusions:
            case = TestCase(ex.rule_id, classname="excluded", time=0)
            case.result = [Skipped(clean(f"excluded by {ex.by}: {ex.reason}"))]
            excluded.add_testcase(case)
        xml.add_testsuite(excluded)
    xml.update_statistics()  # type: ignore[no-untyped-call]
    xml._elem.attrib.pop("skipped", None)  # not an attribute of <testsuites> in junit-10.xsd
    for suite in xml:
        suite.time = 0
    text = xml.tostring()  # type: ignore[no-untyped-call]
    body = text.decode("utf-8") if isinstance(text, bytes) else str(text)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _outcome(rr: RuleResult, result: ScanResult, severity: Severity | None,
             waivers: dict[str, WaiverRecord]) -> Failure | Error | Skipped | None:
    words = Wording("en")
    message = clean(words.summary(rr, result))
    details = "\n".join(clean("; ".join([words.line(ev), *words.decisive(ev)]))
                        for ev in rr.evidence)
    kind = junit_outcome(rr.status)
    if kind is None:
        return None
    out: Failure | Error | Skipped
    if kind is JUnitOutcome.FAILURE:
        out = Failure(message, type_=junit_type(severity, rr.status))
    elif kind is JUnitOutcome.ERROR:
        out = Error(message, type_=junit_type(severity, rr.status))
    elif rr.status is Status.WAIVED:
        w = waivers.get(rr.waiver or "")
        why = (f"waived by {w.id} (approved by {w.approver}, expires {w.expires}): "
               f"{w.justification}" if w else f"waived by {rr.waiver}")
        out = Skipped(clean(why))
    else:
        out = Skipped(message)
    if details:
        out.text = details
    return out

