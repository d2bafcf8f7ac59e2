"""The flows probe: which TCP connections succeed from a zone's vantage point to another zone.

Every destination host of the zone pair is tried on every candidate port (`ZonePair.ports`:
the declared flows, the destination roles' ports and common ports), from the scanner itself
(`local`) or from an SSH vantage point. With `--flow-sweep`, the local vantage sweeps every port
of `--ports` with nmap instead: one connect scan for the pair's destinations, at --scan-rate.
Refused and timed out (filtered) connections are both "not open"; the summary counts them.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from scanner.facts import FactKind, FactSpec
from scanner.models import (
    Fact,
    LocalVantage,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    ZonePair,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.nmap_batch import NmapBatches
from scanner.probes.nmap_runner import INSTALL_HINT, find_nmap
from scanner.probes.ports import nmap_scan
from scanner.probes.vantage import Attempt, State, ssh_attempts

FACT = "flows.open"
WORKERS = 32  # concurrent local connects
MAX_CONNECT = 2.0  # seconds per connect attempt, at most


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("flows.open", FactKind.SET, "flows",
             "Connections that succeed from the source zone's vantage point, as HOST:PORT/tcp",
             services=frozenset({ServiceProtocol.FLOW})),
)


class FlowsProbe:
    name = "flows"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset({FACT})

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        if FACT not in wanted:
            return []
        return [self._gather(target, ctx)]  # failures: caught by the engine

    def _gather(self, target: ProbeTarget, ctx: ProbeContext) -> Fact:
        pair = target.subject_as(ZonePair)
        if pair.vantage is None:
            raise ProbeFailure(f"zone {pair.source} has no vantage point to test flows from",
                               ReasonCategory.BAD_INPUT)
        vantage = pair.vantage
        ports = sorted(set(pair.ports))
        names: dict[str, list[str]] = {}  # address -> host names (hosts may share one)
        for d in pair.destinations:
            if d.address is not None:
                names.setdefault(d.address, []).append(d.host)
        attempts = [(address, port) for address in names for port in ports]
        placed = {d.host for d in pair.destinations if d.address is not None}
        unplaced = sorted({r.host for r in pair.required} - placed)
        if unplaced:  # a required flow that cannot be tried is unknown, not missing
            raise ProbeFailure(f"no address for {', '.join(unplaced)}: flows to "
                               f"{'it' if len(unplaced) == 1 else 'them'} cannot be tested",
                               ReasonCategory.BAD_INPUT)
        if not attempts:
            return Fact(name=FACT, status=ProbeStatus.COMPLETED, value=(), summary=summary(
                say("summary.flows.no_destination", vantage=vantage.name)))
        sweep: Phrase | None = None
        if isinstance(vantage, LocalVantage) and ctx.options.flow_sweep:
            if find_nmap() is None:
                raise ProbeFailure(f"--flow-sweep needs nmap: {INSTALL_HINT}",
                                   ReasonCategory.TOOL_MISSING)
            states, sweep = local_sweep(list(names), ports, ctx)
            times: dict[Attempt, int] = {}
            how, label = say("summary.flows.local"), "local"
        elif isinstance(vantage, LocalVantage):
            states, times = local_attempts(attempts, ctx)
            how, label = say("summary.flows.local_candidates"), "local"
        else:
            remote = ssh_attempts(vantage, attempts, ctx.timeout, ctx.deadline)
            ctx.connections += 1  # the SSH session
            states, times = remote.states, {}
            label = f"{vantage.name} (ssh {vantage.user}@{vantage.address})"
            how = say("summary.flows.remote", vantage=vantage.name, user=vantage.user,
                      address=vantage.address, tool=remote.tool)
        opened = []
        for address, port in sorted(states):
            if states[(address, port)] is State.OPEN:
                took = f" in {times[(address, port)]} ms" if (address, port) in times else ""
                seen = (f"found open by nmap from {label}" if sweep
                        else f"connect from {label} succeeded{took}")
                said = (say("obs.flows.nmap", vantage=label) if sweep else
                        say("obs.flows.connect_ms", vantage=label, ms=times[(address, port)])
                        if (address, port) in times else say("obs.flows.connect", vantage=label))
                opened += [Observation(value=f"{name}:{port}/tcp", detail=seen, said=said)
                           for name in names[address]]
        how_open = (say("summary.flows.swept", vantage=how, sweep=sweep) if sweep
                    else _summary(how, len(names), len(ports), states))
        return Fact(name=FACT, status=ProbeStatus.COMPLETED, value=tuple(opened),
                    summary=summary(how_open))


def local_sweep(addresses: Sequence[str], candidates: Sequence[int], ctx: ProbeContext
                ) -> tuple[dict[Attempt, State], Phrase]:
    """Every port of the scan's range, and the candidates, from here with nmap (no -sV):
    the open ones, and what nmap counted. A connect scan, as a client of that zone would
    connect (a raw SYN scan may leave by another route than the kernel's sockets)."""
    spec = ",".join([ctx.options.ports, *map(str, candidates)])
    states: dict[Attempt, State] = {}
    counts: Counter[str] = Counter()
    scanned = 0
    batches = NmapBatches()  # one nmap run for all the destination hosts
    for address in addresses:
        run = nmap_scan(address, ctx, ("-sT",), spec, batches, hosts=addresses)
        scanned += run.scanned
        counts.update(run.states)
        for row in run.ports:
            if row.protocol == "tcp" and row.state == "open":
                states[(address, row.port)] = State.OPEN
    detail = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))  # nmap's words
    return states, say("summary.flows.sweep", ports=ctx.options.ports, candidates=len(candidates),
                       n=len(addresses), scanned=scanned, states=detail)


def local_attempts(attempts: Sequence[Attempt], ctx: ProbeContext
                   ) -> tuple[dict[Attempt, State], dict[Attempt, int]]:
    """Connect from here, concurrently; (state of each attempt, ms of the open ones)."""
    seconds = min(ctx.timeout, MAX_CONNECT)
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(attempts))) as pool:
        results = list(pool.map(lambda a: _connect(a, seconds, ctx.deadline), attempts))
    ctx.connections += sum(1 for state, _ in results if state is not None)
    skipped = sum(1 for state, _ in results if state is None)
    if skipped:
        raise ProbeFailure(f"service time budget exhausted: {skipped} of {len(attempts)} "
                           "connection attempts not made", ReasonCategory.BUDGET_EXHAUSTED)
    states = {a: s for a, (s, _) in zip(attempts, results, strict=True) if s is not None}
    times = {a: ms for a, (_, ms) in zip(attempts, results, strict=True) if ms is not None}
    return states, times


def _connect(attempt: Attempt, seconds: float, deadline: float
             ) -> tuple[State | None, int | None]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None, None
    address, port = attempt
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    start = time.monotonic()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(min(seconds, remaining))
        try:
            sock.connect((address, port))
        except TimeoutError:
            return State.TIMEOUT, None
        except ConnectionRefusedError:
            return State.REFUSED, None
        except OSError:
            return State.UNREACHABLE, None
    return State.OPEN, round((time.monotonic() - start) * 1000)


def _summary(how: Phrase, hosts: int, ports: int, states: Mapping[Attempt, State]) -> Phrase:
    counts = Counter(states.values())
    shown = [State.OPEN] if counts[State.CLOSED] else [State.OPEN, State.REFUSED, State.TIMEOUT]
    # closed: "refused or timed out"; timed out: "filtered" (dropped by a firewall, not open)
    parts = [say(f"summary.flows.{s.name.lower()}"
                 + ("_none" if s is State.TIMEOUT and not counts[s] else ""), n=counts[s])
             for s in State if counts[s] or s in shown]
    return say("summary.flows.attempts", *parts, join="comma", vantage=how,
               attempts=len(states), n=hosts, ports=ports)
