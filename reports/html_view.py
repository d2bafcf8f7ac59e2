"""Everything the HTML templates show, computed once from a ScanResult (no formatting here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reports.coverage import CoverageSummary, coverage_summary
from reports.html_facts import FactView, fact_views
from reports.html_matrix import (
    FrameworkView,
    RequirementRow,
    compliance_matrix,
    natural_key,
    rule_statuses,
    traceability,
)
from reports.html_network import NetworkView, network_view
from reports.html_tally import SEVERITY_ORDER, Tally, tally
from reports.svg import BarChart, bar_chart
from scanner.models import (
    AddressedSubject,
    NetworkService,
    ProbeRun,
    ProbeStatus,
    RuleInfo,
    RuleResult,
    ScanResult,
    ServiceReport,
    Severity,
    Status,
    ZonePair,
    localized,
)
from scanner.verdict import STATUS_ORDER, Verdict, scan_verdict


@dataclass(frozen=True)
class SeverityRow:
    severity: Severity
    tally: Tally


@dataclass(frozen=True)
class ServiceRow:
    key: str
    report: ServiceReport | None  # None: a result names a service the scan did not list
    tally: Tally


@dataclass(frozen=True)
class Finding:
    result: RuleResult
    rule: RuleInfo | None  # None: the result names a rule the scan did not list
    title: str
    severity: Severity
    rationale: str
    remediation: str


@dataclass(frozen=True)
class ServiceFindings:
    key: str
    report: ServiceReport | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class ProbeProblem:
    key: str
    run: ProbeRun


@dataclass(frozen=True)
class ServiceFacts:
    report: ServiceReport
    facts: tuple[FactView, ...]

    @property
    def where(self) -> tuple[str | None, str | None, str | None]:
        """Address, DNS name and role, for the kinds of subject that have them."""
        s = self.report.service
        if isinstance(s, AddressedSubject):
            return s.address, s.dns_name, s.role
        return None, None, None

    @property
    def declared(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """What the inventory says of the subject that its rules may cite, and the vantage
        its connections start from, as name -> values."""
        s = self.report.service
        rows = list(s.references().items())
        if isinstance(s, NetworkService) and s.clients is not None:
            rows += [("probe.zone", (s.clients.zone,)),
                     ("probe.vantage", (s.clients.vantage.name,))]
        if isinstance(s, NetworkService) and s.companion_ports:
            rows.append(("http.companion_ports", tuple(map(str, s.companion_ports))))
        if isinstance(s, ZonePair):
            rows.append(("flow.vantage", (s.vantage.name,) if s.vantage else ()))
            rows.append(("flow.destinations", tuple(
                f"{d.host} ({d.address or '—'})" for d in s.destinations)))
        return tuple(rows)


@dataclass(frozen=True)
class ReportView:
    result: ScanResult
    lang: str
    tally: Tally
    verdict: Verdict
    by_severity: tuple[SeverityRow, ...]
    by_service: tuple[ServiceRow, ...]
    status_chart: BarChart
    severity_chart: BarChart
    pack_rules: dict[str, int]
    frameworks: tuple[FrameworkView, ...]
    requirements: tuple[RequirementRow, ...]
    req_anchors: dict[str, str]  # requirement ID -> HTML id of its traceability row
    req_texts: dict[str, str | None]  # requirement ID -> its text in the report's language
    coverage: CoverageSummary  # the statement of applicability
    network: NetworkView | None  # None: the inventory declares no zone
    findings: tuple[ServiceFindings, ...]
    unchecked: tuple[ServiceFindings, ...]
    probe_problems: tuple[ProbeProblem, ...]
    appendix: tuple[ServiceFacts, ...]


def _finding(result: RuleResult, rules: dict[str, RuleInfo], lang: str) -> Finding:
    rule = rules.get(result.rule_id)
    if rule is None:
        return Finding(result, None, result.rule_id, Severity.INFO, "", "")
    return Finding(result, rule, localized(rule.title, lang), rule.severity,
                   localized(rule.rationale, lang), localized(rule.remediation, lang))


def _grouped(result: ScanResult, status: Status, lang: str) -> tuple[ServiceFindings, ...]:
    """Results of one status per service (scan order), most severe first."""
    rules = {r.id: r for r in result.rules}
    reports = {s.service.key: s for s in result.services}
    groups: dict[str, list[Finding]] = defaultdict(list)
    for r in result.results:
        if r.status is status:
            groups[r.service].append(_finding(r, rules, lang))
    keys = [k for k in reports if k in groups] + sorted(k for k in groups if k not in reports)
    return tuple(
        ServiceFindings(k, reports.get(k), tuple(sorted(
            groups[k], key=lambda f: (-f.severity.rank, natural_key(f.result.rule_id)))))
        for k in keys
    )


def _by_service(result: ScanResult) -> tuple[ServiceRow, ...]:
    reports = {s.service.key: s for s in result.services}
    statuses: dict[str, list[Status]] = {k: [] for k in reports}
    for r in result.results:
        statuses.setdefault(r.service, []).append(r.status)
    return tuple(ServiceRow(k, reports.get(k), tally(v)) for k, v in statuses.items())


def _by_severity(result: ScanResult) -> tuple[SeverityRow, ...]:
    severities = {r.id: r.severity for r in result.rules}
    statuses: dict[Severity, list[Status]] = {s: [] for s in SEVERITY_ORDER}
    for r in result.results:
        statuses[severities.get(r.rule_id, Severity.INFO)].append(r.status)
    return tuple(SeverityRow(s, tally(v)) for s, v in statuses.items())


def build_view(result: ScanResult, lang: str) -> ReportView:
    counts = tally(r.status for r in result.results)
    by_severity = _by_severity(result)
    statuses = rule_statuses(result, lang)
    pack_rules: dict[str, int] = defaultdict(int)
    for rule in result.rules:
        pack_rules[rule.pack] += 1
    requirements = traceability(result, statuses, lang)
    return ReportView(
        result=result,
        lang=lang,
        tally=counts,
        verdict=scan_verdict(result),
        by_severity=by_severity,
        by_service=_by_service(result),
        status_chart=bar_chart([(s.value, counts.count(s)) for s in STATUS_ORDER]),
        severity_chart=bar_chart(
            [(row.severity.value, row.tally.count(Status.FAIL)) for row in by_severity]),
        pack_rules=dict(pack_rules),
        frameworks=compliance_matrix(statuses),
        requirements=requirements,
        req_anchors={q.id: f"req-{i}" for i, q in enumerate(requirements, 1)},
        req_texts={q.id: q.text for q in requirements},
        coverage=coverage_summary(result),
        network=network_view(result),
        findings=_grouped(result, Status.FAIL, lang),
        unchecked=_grouped(result, Status.ERROR, lang),
        probe_problems=tuple(
            ProbeProblem(s.service.key, p)
            for s in result.services for p in s.probes if p.status is ProbeStatus.ERROR),
        appendix=tuple(ServiceFacts(s, fact_views(s.facts)) for s in result.services),
    )
