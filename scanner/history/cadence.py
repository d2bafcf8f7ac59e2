"""REQ-OPS-01 as an estate-level rule: the history must show full scans of the inventory at
least every `operations.scan_interval_days` (7 by default) over the audit period.

The history is read by the CLI (not by a probe over the network); the verdict is recorded in
the scan's result like any other rule, on an `estate` subject, with its evidence.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from scanner.models import (
    Estate,
    Evidence,
    Fact,
    Message,
    MessageKey,
    NumberValue,
    Observation,
    PackInfo,
    ProbeStatus,
    Requirement,
    RuleInfo,
    RuleResult,
    ScanResult,
    ServiceProtocol,
    ServiceReport,
    Severity,
    SourceDocument,
    Status,
    say,
    summary,
)

RULE_ID = "OPS-CADENCE-001"
AUDIT_PERIOD_DAYS = 365
PACK = PackInfo(
    id="rempart-history", version="1", title={"en": "Scan history", "fr": "Historique"},
    origin="builtin:rempart-history", sha256="-",
    sources=(SourceDocument(id="SH", title="SaaS white paper of a self-help/ITSM vendor",
                            reference="seeds/001_60c46716581327b6.txt"),),
    requirements=(Requirement(id="REQ-OPS-01", source="SH", text={
        "en": "Weekly vulnerability scans of all platforms",
        "fr": "Analyses de vulnérabilités hebdomadaires de toutes les plateformes"}),))
RULE = RuleInfo(
    id=RULE_ID, pack=PACK.id, severity=Severity.MEDIUM, requirements=("REQ-OPS-01",),
    title={"en": "Full scans of the estate are at most a week apart",
           "fr": "Les analyses complètes du parc ont lieu au moins chaque semaine"},
    controls={"iso27001": ("A.8.8",), "hds": ("A.8.8",)}, sources=("SH",),
    applies_to=(ServiceProtocol.ESTATE,), facts=("history.full_scans", "history.max_gap_days"),
    rationale={"en": "Weekly scans find new weaknesses quickly; the history proves to the "
                     "auditor that they happened.",
               "fr": "Des analyses hebdomadaires détectent vite les nouvelles faiblesses\u00a0; "
                     "l'historique prouve à l'auditeur qu'elles ont eu lieu."},
    remediation={"en": "Schedule `rempart scan` weekly (cron or systemd timer, see README) "
                       "and keep the history database.",
                 "fr": "Planifier `rempart scan` chaque semaine (cron ou minuteur systemd, "
                       "voir README) et conserver la base d'historique."})


def estate_service() -> Estate:
    return Estate()


def judge_cadence(full_scans: Sequence[dt.datetime], interval_days: int, now: dt.datetime
                  ) -> tuple[Status, Message, tuple[Evidence, ...], int | None]:
    """Status, message, evidence and the largest gap (days) for these full-scan times."""
    since = now - dt.timedelta(days=AUDIT_PERIOD_DAYS)
    times = sorted(t for t in full_scans if t >= since)
    if len(times) < 2:  # the first full scan: nothing to judge the cadence on yet
        return (Status.NOT_APPLICABLE, Message(key=MessageKey.PRECONDITION_NOT_MET,
                                               fact="history.max_gap_days"), (), None)
    gaps = [((b - a).total_seconds() / 86400, a, b) for a, b in itertools.pairwise(times)]
    widest = max(g for g, _, _ in gaps)
    late = [(g, a, b) for g, a, b in gaps if g > interval_days]
    shown = late or [max(gaps)]
    evidence = (Evidence(
        fact="history.max_gap_days", operator="at_most",
        expected=NumberValue(number=interval_days), actual=NumberValue(number=round(widest, 1)),
        decisive=tuple(Observation(value=f"{a:%Y-%m-%d} → {b:%Y-%m-%d}",
                                   detail=f"{g:.1f} days between full scans; {len(times)} "
                                          f"full scans since {times[0]:%Y-%m-%d}")
                       for g, a, b in shown[:10])),)
    status = Status.FAIL if late else Status.PASS
    return status, Message(key=MessageKey.CHECKED), evidence, int(widest)


def with_cadence(result: ScanResult, earlier_full_scans: Sequence[dt.datetime]) -> ScanResult:
    """Add the cadence rule and its estate-level result (this scan counts as a full scan)."""
    interval = result.inventory.operations.scan_interval_days
    times = [*earlier_full_scans, result.started_at]
    status, message, evidence, gap = judge_cadence(times, interval, result.started_at)
    service = estate_service()
    facts = (Fact(name="history.full_scans", status=ProbeStatus.COMPLETED, value=len(times),
                  summary=summary(say("summary.history.full_scans"))),
             Fact(name="history.max_gap_days", status=ProbeStatus.COMPLETED, value=gap,
                  summary=summary(say("summary.history.max_gap", n=AUDIT_PERIOD_DAYS))))
    rr = RuleResult(rule_id=RULE_ID, service=service.key, status=status, message=message,
                    evidence=evidence)
    return result.model_copy(update={
        "packs": (*result.packs, PACK), "rules": (*result.rules, RULE),
        "services": (*result.services, ServiceReport(service=service, facts=facts, probes=())),
        "results": (*result.results, rr)})
