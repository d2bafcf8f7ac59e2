"""Plan probes from the rules' facts, run them concurrently, judge, assemble the result."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner import __version__
from scanner.discovered import discovered_ssh
from scanner.facts import FACTS, REPORT_ONLY, FactKind
from scanner.interrupt import Cancel, interrupted_report, map_cancellable
from scanner.inventory import ScopeError
from scanner.models import (
    Fact,
    InventoryInfo,
    ProbeRun,
    ProbeStatus,
    ReasonCategory,
    RuleResult,
    ScanResult,
    Service,
    ServiceReport,
)
from scanner.netaddr import in_scope
from scanner.probes.base import Probe, ProbeContext, ProbeFailure, ProbeOptions, ProbeTarget
from scanner.reconcile import host_ports
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.model import RuleSet

log = logging.getLogger("rempart")  # a probe crash is logged with its traceback

# certificate reuses tls
PROBE_ORDER = ("tls", "certificate", "http", "ports", "flows", "spf", "ssh", "inside",
               "vulnerabilities", "dns")


def default_probes() -> dict[str, Probe]:
    from scanner.probes.certificate import CertificateProbe
    from scanner.probes.dns_migration import DnsMigrationProbe
    from scanner.probes.flows import FlowsProbe
    from scanner.probes.http import HttpProbe
    from scanner.probes.inside.probe import InsideProbe
    from scanner.probes.ports import PortsProbe
    from scanner.probes.spf import SpfProbe
    from scanner.probes.ssh_audit import SshAuditProbe
    from scanner.probes.tls.probe import TlsProbe
    from scanner.probes.vulns.probe import VulnerabilitiesProbe

    probes: list[Probe] = [TlsProbe(), CertificateProbe(), HttpProbe(), PortsProbe(), FlowsProbe(),
                           SpfProbe(), SshAuditProbe(), InsideProbe(), VulnerabilitiesProbe(),
                           DnsMigrationProbe()]
    return {p.name: p for p in probes}


@dataclass(frozen=True)
class ScanOptions:
    concurrency: int = 8
    timeout: float = 5.0  # per connection step
    service_budget: float = 120.0  # whole service
    ca_file: Path | None = None
    probe: ProbeOptions = field(default_factory=ProbeOptions)


def plan(rules: RuleSet, service: Service) -> dict[str, frozenset[str]]:
    """Probe name -> the facts its rules need for this service, in run order."""
    wanted: dict[str, set[str]] = {}
    for rule in rules.rules:
        if service.protocol not in rule.info.applies_to:
            continue
        for name in rule.info.facts:
            spec = FACTS[name]
            if service.protocol in spec.services:
                wanted.setdefault(spec.probe, set()).add(name)
    for name, spec in FACTS.items():  # facts for the reports only ride along, free
        if (spec.kind is FactKind.CHAIN or name in REPORT_ONLY) and spec.probe in wanted \
                and service.protocol in spec.services:
            wanted[spec.probe].add(name)
    return {p: frozenset(wanted[p]) for p in PROBE_ORDER if p in wanted}


def resolve_addresses(inventory: InventoryInfo) -> dict[str, str]:
    """Service key -> address to connect to. Names are resolved only where no address is set."""
    out: dict[str, str] = {}
    for host in inventory.hosts:
        address = host.address
        if address is None:
            assert host.dns_name is not None
            try:
                infos = socket.getaddrinfo(host.dns_name, None, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise ScopeError(f"host {host.name}: cannot resolve {host.dns_name}: "
                                 f"{exc.strerror}") from None
            address = str(infos[0][4][0])
            if not in_scope(address, inventory.scope):
                raise ScopeError(f"host {host.name}: {host.dns_name} resolves to {address}, "
                                 f"outside the declared scope ({', '.join(inventory.scope)})")
        for svc in host.services:
            out[svc.key] = address
    return out


def scan_service(service: Service, address: str | None, wanted: Mapping[str, frozenset[str]],
                 probes: Mapping[str, Probe], options: ScanOptions) -> ServiceReport:
    target = ProbeTarget(address=address, port=service.port, protocol=service.protocol,
                         sni=service.dns_name, expected_name=service.dns_name or address or "",
                         host=service.host, context=service.context)
    ctx = ProbeContext(timeout=options.timeout,
                       deadline=time.monotonic() + options.service_budget,
                       ca_file=options.ca_file, options=options.probe)
    try:
        return _probe_service(service, target, ctx, wanted, probes)
    finally:
        ctx.close()  # the SSH session of a vantage the service was probed through


def _probe_service(service: Service, target: ProbeTarget, ctx: ProbeContext,
                   wanted: Mapping[str, frozenset[str]], probes: Mapping[str, Probe]
                   ) -> ServiceReport:
    facts: dict[str, Fact] = {}
    runs: list[ProbeRun] = []
    for name, fact_names in wanted.items():
        before, start = ctx.connections, time.monotonic()
        probe = probes.get(name)
        got = (run_probe(probe, target, fact_names, ctx, facts) if probe else
               [ProbeFailure(f"no probe '{name}' is available",
                             ReasonCategory.MISSING_DEPENDENCY).fact(n)
                for n in sorted(fact_names)])
        for fact in got:
            facts[fact.name] = fact
        for missing in fact_names - {f.name for f in got}:
            log.error("internal error: probe %s did not report %s", name, missing)
            facts[missing] = ProbeFailure(f"probe {name} did not report this fact",
                                          ReasonCategory.INTERNAL_ERROR).fact(missing)
        errors = [f for f in got if f.status is ProbeStatus.ERROR]
        runs.append(ProbeRun(
            probe=name, status=ProbeStatus.ERROR if errors else ProbeStatus.COMPLETED,
            reason=errors[0].reason if errors else None,
            category=errors[0].category if errors else None,
            connections=ctx.connections - before, seconds=round(time.monotonic() - start, 3)))
    ordered = tuple(facts[n] for n in FACTS if n in facts)
    return ServiceReport(service=service, facts=ordered, probes=tuple(runs))


def run_probe(probe: Probe, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
               known: Mapping[str, Fact]) -> list[Fact]:
    """The one boundary where a probe's exceptions become data (every wanted fact an error)."""
    try:
        return [f for f in probe.run(target, wanted, ctx, known) if f.name in wanted]
    except ProbeFailure as exc:
        failure = exc
    except Exception as exc:  # a bug in Rempart: data too, in its own category
        log.exception("internal error: probe %s crashed on %s", probe.name, target.host)
        failure = ProbeFailure(f"probe {probe.name} crashed: {type(exc).__name__}: {exc}",
                               ReasonCategory.INTERNAL_ERROR)
    names = [n for n in FACTS if n in wanted] + sorted(wanted - FACTS.keys())
    return [failure.fact(n) for n in names]


def run_scan(inventory: InventoryInfo, rules: RuleSet, options: ScanOptions,
             probes: Mapping[str, Probe] | None = None,
             on_service: Callable[[Service], None] | None = None,
             cancel: Cancel | None = None) -> ScanResult:
    probes = probes if probes is not None else default_probes()
    services = list(inventory.all_subjects())
    addresses = resolve_addresses(inventory)
    started = dt.datetime.now(dt.UTC)

    def one(service: Service) -> ServiceReport:
        report = scan_service(service, addresses.get(service.key), plan(rules, service),
                              probes, options)
        if on_service:
            on_service(service)
        return report

    def run_all(subjects: list[Service]) -> list[ServiceReport]:  # unfinished: interrupted
        got = map_cancellable(one, subjects, options.concurrency, cancel)
        return [r if r is not None else interrupted_report(s, plan(rules, s), cancel or Cancel())
                for s, r in zip(subjects, got, strict=True)]

    reports = run_all(services)
    found = discovered_ssh(inventory, reports)  # SSH servers the exposure scan identified
    addresses.update({s.key: a for s in found if (a := addresses.get(f"{s.host}/ports"))})
    reports += run_all(list(found))
    finished = dt.datetime.now(dt.UTC)
    dyn = Dynamic(scan_time=started, contract_end=inventory.contract.end_date)
    results = judge(rules, reports, dyn)
    return ScanResult(
        tool_version=__version__, started_at=started, finished_at=finished,
        inventory=inventory, packs=rules.packs, rules=tuple(r.info for r in rules.rules),
        services=tuple(reports), results=results, host_ports=host_ports(inventory, reports),
        interrupted=cancel is not None and cancel.is_set())


def judge(rules: RuleSet, reports: Sequence[ServiceReport], dyn: Dynamic
          ) -> tuple[RuleResult, ...]:
    """One result per rule and subject it applies to (by the rule's `applies_to`)."""
    out: list[RuleResult] = []
    for report in reports:
        facts = {f.name: f for f in report.facts}
        out.extend(evaluate_rule(rule, report.service, facts, dyn) for rule in rules.rules
                   if report.service.protocol in rule.info.applies_to)
    return tuple(out)
