"""What the report computes: worst-status tallies, verdicts, matrix, traceability, chart."""

from __future__ import annotations

from reports.html_matrix import natural_key
from reports.html_tally import tally
from reports.html_view import build_view
from reports.svg import bar_chart
from scanner.models import ScanResult, Severity, Status
from scanner.verdict import verdict_of

F, E, P, N = Status.FAIL, Status.ERROR, Status.PASS, Status.NOT_APPLICABLE


def test_worst_status_wins() -> None:
    assert tally([P, N, E, P]).worst is E
    assert tally([P, F, E]).worst is F
    assert tally([N, N]).worst is N
    assert tally([]).worst is None
    assert tally([P, F, F]).nonzero == ((F, 2), (P, 1))


def test_verdict() -> None:
    assert verdict_of([P, F, E]) == "non_compliant"
    assert verdict_of([P, E]) == "incomplete"
    assert verdict_of([N]) == "incomplete"  # nothing was actually checked
    assert verdict_of([]) == "incomplete"
    assert verdict_of([P, N]) == "compliant"


def test_natural_order_of_controls_and_requirements() -> None:
    ids = ["A.8.24", "A.8.5", "A.5.36", "REQ-TLS-10", "REQ-TLS-02"]
    assert sorted(ids, key=natural_key) == ["A.5.36", "A.8.5", "A.8.24", "REQ-TLS-02",
                                            "REQ-TLS-10"]


def test_sample_view(sample: ScanResult) -> None:
    view = build_view(sample, "en")
    assert view.verdict == "non_compliant"
    assert view.tally.total == len(sample.results)
    iso = next(fw for fw in view.frameworks if fw.key == "iso27001")
    assert [c.control for c in iso.controls] == ["A.5.36", "A.8.24"]
    a824 = iso.controls[1]
    assert a824.tally.worst is F and a824.tally.total == len(sample.results)
    assert [fw.key for fw in view.frameworks] == ["iso27001", "anssi-tls"]
    # findings: failures only, most severe first within each service
    for group in view.findings:
        assert all(f.result.status is F for f in group.findings)
        ranks = [f.severity.rank for f in group.findings]
        assert ranks == sorted(ranks, reverse=True)
    legacy = next(g for g in view.findings if g.key.startswith("legacy-api"))
    assert legacy.findings[0].severity is Severity.CRITICAL
    assert [g.key for g in view.unchecked] == ["legacy-api:8443/tls"]
    assert [p.run.probe for p in view.probe_problems] == ["tls"]


def test_traceability_rows(sample: ScanResult) -> None:
    rows = {q.id: q for q in build_view(sample, "fr").requirements}
    assert rows["REQ-TLS-01"].text == "SSL 2.0 et SSL 3.0 sont refusés."
    assert rows["REQ-TLS-01"].source is not None and rows["REQ-TLS-01"].source.id == "SH"
    assert [rs.rule.id for rs in rows["REQ-TLS-01"].rules] == ["TLS-PROTO-001"]
    assert rows["REQ-TLS-03"].rules == ()  # declared, enforced by no rule
    assert rows["CE-REQ-1"].pack == "clinique-extra"
    assert rows["REQ-TLS-08"].tally.worst is E


def test_requirement_cited_but_not_declared(sample: ScanResult) -> None:
    rule = sample.rules[0].model_copy(update={"requirements": ("REQ-XYZ-99",)})
    result = sample.model_copy(update={"rules": (rule, *sample.rules[1:])})
    row = next(q for q in build_view(result, "en").requirements if q.id == "REQ-XYZ-99")
    assert row.text is None and [rs.rule.id for rs in row.rules] == [rule.id]


def test_bar_chart_geometry() -> None:
    chart = bar_chart([("fail", 4), ("pass", 2), ("error", 0)], width=300, label_width=100,
                      value_room=50)
    widths = [b.width for b in chart.bars]
    assert widths == [150, 75, 0]
    assert chart.total == 6
    assert chart.bars[1].y > chart.bars[0].y and chart.height > chart.bars[2].y
    assert bar_chart([]).bars == ()
