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
from scanner.facts import FactKind
from scanner.interrupt import Cancel, interrupted_report, map_cancellable
from scanner.models import (
    AddressedSubject,
    Fact,
    InventoryInfo,
    NetworkService,
    ProbeRun,
    ProbeStatus,
    ReasonCategory,
    RuleResult,
    ScanResult,
    ServiceReport,
    Subject,
    say,
)
from scanner.netaddr import in_scope
from scanner.probes.base import (
    Probe,
    ProbeContext,
    ProbeFailure,
    ProbeInputs,
    ProbeOptions,
    ProbeTarget,
)
from scanner.probes.registry import Registry, default_registry, new_registry
from scanner.reconcile import host_ports
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.model import RuleSet

log = logging.getLogger("rempart")  # a probe crash is logged with its traceback


@dataclass(frozen=True)
class ScanOptions:
    concurrency: int = 8
    timeout: float = 5.0  # per connection step
    service_budget: float = 120.0  # whole service
    ca_file: Path | None = None
    probe: ProbeOptions = field(default_factory=ProbeOptions)


def plan(rules: RuleSet, service: Subject, registry: Registry | None = None) -> frozenset[str]:
    """The facts the rules need for this service, with the report-only facts of their probes."""
    facts = (registry or default_registry()).facts
    wanted: set[str] = set()
    for rule in rules.rules:
        if service.protocol not in rule.info.applies_to:
            continue
        wanted.update(n for n in rule.info.facts
                      if n in facts and service.protocol in facts[n].services)
    probes = {facts[n].probe for n in wanted}
    wanted.update(n for n, spec in facts.items()  # facts for the reports only ride along, free
                  if (spec.kind is FactKind.CHAIN or spec.report_only) and spec.probe in probes
                  and service.protocol in spec.services)
    return frozenset(wanted)


Address = str | ProbeFailure
"""Where to connect for a subject, or why there is nowhere (unresolvable, out of scope)."""


def resolve_addresses(inventory: InventoryInfo) -> dict[str, Address]:
    """Subject key -> address to connect to, resolving names only where no address is set.

    Declared addresses were scope-checked when the inventory loaded (a usage error). A name is
    resolved here, at scan time: if it does not resolve, or resolves outside the scope, only
    that host's subjects fail (`unresolvable`, `out_of_scope`); no packet goes to it.
    """
    out: dict[str, Address] = {}
    for host in inventory.hosts:
        address: Address | None = host.address
        if address is None:
            assert host.dns_name is not None
            address = _resolve(host.name, host.dns_name, inventory.scope)
        for subject in host.subjects():
            out[subject.key] = address
    return out


def _resolve(host: str, name: str, scope: Sequence[str]) -> Address:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return ProbeFailure(f"host {host}: cannot resolve {name}: {exc.strerror}",
                            ReasonCategory.UNRESOLVABLE)
    except (OSError, UnicodeError) as exc:
        return ProbeFailure(f"host {host}: cannot resolve {name}: {exc}",
                            ReasonCategory.UNRESOLVABLE)
    address = str(infos[0][4][0])
    if not in_scope(address, scope):
        return ProbeFailure(f"host {host}: {name} resolves to {address}, outside the declared "
                            f"scope ({', '.join(scope)}); not scanned", ReasonCategory.OUT_OF_SCOPE,
                            say("reason.out_of_scope", host=host, name=name, address=address,
                                scope=list(scope)))
    return address


@dataclass(frozen=True)
class Gathered:
    """What the probes of one subject established."""

    facts: dict[str, Fact]
    runs: tuple[ProbeRun, ...]
    artefacts: Mapping[str, object]


def gather(target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
           registry: Registry | None = None) -> Gathered:
    """Run the probes that establish `wanted` (and those they need), in dependency order."""
    registry = registry or default_registry()
    facts: dict[str, Fact] = {}
    artefacts: dict[str, object] = {}
    failures: dict[str, ProbeFailure] = {}  # artefact -> why its maker could not make it
    runs: list[ProbeRun] = []
    for step in registry.plan(wanted):
        probe = step.probe
        before, start = ctx.connections, time.monotonic()
        failure: ProbeFailure | None
        if step.missing:
            failure = ProbeFailure(f"probe {probe.name} needs {', '.join(step.missing)}, which "
                                   "no registered probe provides",
                                   ReasonCategory.MISSING_DEPENDENCY)
            got = [failure.fact(n) for n in _in_order(step.facts, registry)]
        else:
            inputs = ProbeInputs(probe, facts, artefacts, failures)
            got, failure = _guarded(probe, target, step.facts, ctx, inputs, registry)
        for art in probe.makes:
            if art.name not in artefacts:  # its users' facts will say why
                failures[art.name] = failure or ProbeFailure(
                    f"probe {probe.name} did not make it", ReasonCategory.INTERNAL_ERROR)
        if failure is not None and not got:  # run for its artefacts only: the run says why
            runs.append(ProbeRun(probe=probe.name, status=ProbeStatus.ERROR,
                                 reason=failure.detail, category=failure.category,
                                 why=failure.why, connections=ctx.connections - before,
                                 seconds=round(time.monotonic() - start, 3)))
            continue
        for fact in got:
            facts[fact.name] = fact
        for missing in step.facts - {f.name for f in got}:
            log.error("internal error: probe %s did not report %s", probe.name, missing)
            facts[missing] = ProbeFailure(f"probe {probe.name} did not report this fact",
                                          ReasonCategory.INTERNAL_ERROR).fact(missing)
        errors = [f for f in got if f.status is ProbeStatus.ERROR]
        runs.append(ProbeRun(
            probe=probe.name, status=ProbeStatus.ERROR if errors else ProbeStatus.COMPLETED,
            reason=errors[0].reason if errors else None,
            category=errors[0].category if errors else None,
            why=errors[0].why if errors else None,
            connections=ctx.connections - before, seconds=round(time.monotonic() - start, 3)))
    return Gathered(facts=facts, runs=tuple(runs), artefacts=artefacts)


def scan_service(service: Subject, address: Address | None, wanted: frozenset[str],
                 registry: Registry, options: ScanOptions,
                 cancel: Cancel | None = None) -> ServiceReport:
    """The facts of one subject; if it cannot be reached at all (no address, the scan was
    cancelled), every wanted fact is an error saying why, and no probe runs."""
    if cancel is not None and cancel.is_set():
        address = ProbeFailure("the scan was interrupted before this subject was probed",
                               ReasonCategory.INTERRUPTED, say("reason.interrupted_before"))
    if isinstance(address, ProbeFailure):
        facts = tuple(address.fact(n) for n in _in_order(wanted, registry))
        return ServiceReport(service=service, facts=facts, probes=())
    target = probe_target(service, address)
    ctx = ProbeContext(timeout=options.timeout,
                       deadline=time.monotonic() + options.service_budget,
                       ca_file=options.ca_file, options=options.probe, cancel=cancel)
    try:
        got = gather(target, wanted, ctx, registry)
    finally:
        ctx.close()  # the SSH session of a vantage the service was probed through
    ordered = tuple(got.facts[n] for n in _in_order(frozenset(got.facts), registry))
    return ServiceReport(service=service, facts=ordered, probes=got.runs)


def probe_target(subject: Subject, address: str | None) -> ProbeTarget:
    """Where the probes of a subject connect, and the subject itself, typed."""
    port, dns_name = 0, None  # zone pairs, mail domains, the estate: no port, no name of theirs
    if isinstance(subject, NetworkService):
        port = subject.port
    if isinstance(subject, AddressedSubject):
        dns_name = subject.dns_name
    return ProbeTarget(address=address, port=port, protocol=subject.protocol, sni=dns_name,
                       expected_name=dns_name or address or "", host=subject.host,
                       subject=subject)


def _in_order(names: frozenset[str], registry: Registry) -> list[str]:
    return [n for n in registry.facts if n in names] + sorted(names - registry.facts.keys())


def run_probe(probe: Probe, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
              inputs: ProbeInputs | Mapping[str, Fact] | None = None) -> list[Fact]:
    """One probe through the boundary where exceptions become data (every wanted fact an
    error). `inputs`: the facts it needs already known (its artefacts: use `gather`)."""
    if not isinstance(inputs, ProbeInputs):
        inputs = ProbeInputs(probe, inputs or {}, {}, {})
    return _guarded(probe, target, wanted, ctx, inputs, default_registry())[0]


def _guarded(probe: Probe, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
             inputs: ProbeInputs, registry: Registry) -> tuple[list[Fact], ProbeFailure | None]:
    """`run_probe`, and the failure that stopped the probe if one did."""
    try:
        return [f for f in probe.run(target, wanted, ctx, inputs) if f.name in wanted], None
    except ProbeFailure as exc:
        failure = exc
    except Exception as exc:  # a bug in Rempart: data too, in its own category
        log.exception("internal error: probe %s crashed on %s", probe.name, target.host)
        failure = ProbeFailure(f"probe {probe.name} crashed: {type(exc).__name__}: {exc}",
                               ReasonCategory.INTERNAL_ERROR)
    return [failure.fact(n) for n in _in_order(wanted, registry)], failure


def run_scan(inventory: InventoryInfo, rules: RuleSet, options: ScanOptions,
             registry: Registry | None = None,
             on_service: Callable[[ServiceReport], None] | None = None,
             cancel: Cancel | None = None) -> ScanResult:
    """Scan every subject concurrently and judge. Use `scanner.app.scan` (the entry point)."""
    registry = registry or new_registry()  # probes may keep per-scan state (nmap batches)
    services = list(inventory.all_subjects())
    addresses = resolve_addresses(inventory)
    started = dt.datetime.now(dt.UTC)

    def one(service: Subject) -> ServiceReport:
        report = scan_service(service, addresses.get(service.key),
                              plan(rules, service, registry), registry, options, cancel)
        if on_service:
            on_service(report)
        return report

    def run_all(subjects: list[Subject]) -> list[ServiceReport]:  # unfinished: interrupted
        got = map_cancellable(one, subjects, options.concurrency, cancel)
        return [r if r is not None else interrupted_report(s, _steps(s), cancel or Cancel())
                for s, r in zip(subjects, got, strict=True)]

    def _steps(service: Subject) -> dict[str, frozenset[str]]:
        return {st.probe.name: st.facts
                for st in registry.plan(plan(rules, service, registry))}

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
