"""The `ports` probe: which ports of a host answer as open, and what nmap says runs there."""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Mapping, Sequence

from scanner.facts import FactKind, FactSpec
from scanner.models import (
    Fact,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    Summary,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.nmap_batch import NmapBatches
from scanner.probes.nmap_runner import (
    INSTALL_HINT,
    NmapFailed,
    NmapMissing,
    NmapRun,
    NmapTimeout,
    PortRow,
    find_nmap,
    run_nmap_hosts,
)

FACT = "ports.open"
SERVICES = "ports.services"
UDP_TOP = 100
DETAIL_MAX = 80
# nmap overshoots --host-timeout while a service probe waits (up to ~6 s): kill it later.
KILL_GRACE = 15.0
MIN_BUDGET = 1.0  # seconds; less than this left: do not start nmap
COMMON = ("-Pn", "-n")  # no ping (-Pn), no DNS (-n); the pace comes from --scan-rate
LOCAL = "local"  # where nmap runs: the scanner itself
UNREACHABLE = frozenset({"host-unreach", "net-unreach"})
_PORT_SPEC = re.compile(r"^[0-9]+(-[0-9]*)?(,[0-9]+(-[0-9]*)?)*$")
_SPACES = re.compile(r"\s+")
_NO_RAW = re.compile(r"raw socket|root privileges|Operation not permitted", re.IGNORECASE)


def clean_detail(text: str) -> str:
    """Printable, one line, at most DETAIL_MAX characters (banners can be hostile)."""
    text = _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def describe(row: PortRow) -> str:
    """e.g. `https nginx 1.22.1`; `snmp?` when nmap only guessed from the port number."""
    name = (row.service or "unknown") + ("?" if row.method != "probed" else "")
    return clean_detail(" ".join(p for p in (name, row.product, row.version) if p))


def literal_address(address: str | None) -> str:
    """The target's IP literal; anything else is refused (this probe never resolves names)."""
    if address is None:
        raise ProbeFailure("this subject has no IP address to scan", ReasonCategory.BAD_INPUT,
                           say("reason.ports.no_address"))
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise ProbeFailure(f"refusing to scan {address!r}: not an IP address",
                           ReasonCategory.BAD_INPUT) from None


def version_detection(ctx: ProbeContext) -> tuple[str, ...]:
    """nmap probes the services of open ports only, at a bounded intensity."""
    return ("-sV", "--version-intensity", str(ctx.options.scan_rate.intensity))


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("ports.open", FactKind.SET, "ports",
             "Ports open to the scanner, as PORT/tcp or PORT/udp (detail: service and product "
             "nmap saw)", services=frozenset({ServiceProtocol.HOST})),
    FactSpec("ports.services", FactKind.SET, "ports",
             "Services nmap identified by probing the open ports, by nmap's name (redis, "
             "postgresql, ssh, ms-wbt-server …; detail: port, product, version)",
             services=frozenset({ServiceProtocol.HOST})),
)


class PortsProbe:
    """Per host, as every probe; the hosts of one scan share one nmap run (NmapBatches)."""

    name = "ports"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset({FACT, SERVICES})

    def __init__(self) -> None:
        self.batches = NmapBatches()  # one per scan: the engine builds the probes per scan

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        names = sorted(wanted & self.provides)
        if not names:
            return []
        rows, summary = self._scan(target, ctx)  # failures: caught by the engine
        values = {
            FACT: tuple(Observation(value=f"{r.port}/{r.protocol}", detail=describe(r))
                        for r in rows),
            # only what service detection identified: a guess from the port number is not
            SERVICES: tuple(Observation(value=r.service, detail=f"{r.port}/{r.protocol} "
                                        + describe(r)) for r in rows
                            if r.service and r.method == "probed"),
        }
        return [Fact(name=n, status=ProbeStatus.COMPLETED, value=values[n], summary=summary)
                for n in names]

    def _scan(self, target: ProbeTarget, ctx: ProbeContext
              ) -> tuple[list[PortRow], Summary]:
        address = literal_address(target.address)
        before = ctx.connections
        spec = ctx.options.ports.replace(" ", "")
        if not _PORT_SPEC.match(spec):
            raise ProbeFailure(f"invalid port specification {ctx.options.ports!r}: expected "
                               "numbers and ranges such as 1-1024,8080", ReasonCategory.BAD_INPUT)
        root = getattr(os, "geteuid", lambda: -1)() == 0
        if ctx.options.udp and not root:
            raise ProbeFailure("the UDP scan needs root (nmap -sU sends raw packets): run the "
                               "scan as root or leave UDP out", ReasonCategory.NOT_PERMITTED,
                               say("reason.ports.udp_root"))
        tcp_type = "-sS" if root else "-sT"  # SYN scan needs raw sockets
        version = version_detection(ctx)
        shared: list[int] = []
        try:
            tcp = nmap_scan(address, ctx, (tcp_type, *version), spec, self.batches, shared)
        except ProbeFailure as exc:  # root without CAP_NET_RAW (some containers)
            if tcp_type != "-sS" or not _NO_RAW.search(str(exc)):
                raise
            tcp_type = "-sT"
            tcp = nmap_scan(address, ctx, (tcp_type, *version), spec, self.batches, shared)
            fallback = True
        else:
            fallback = False
        key = f"summary.ports.{tcp.scan_type}" if tcp.scan_type in _TYPES else "summary.ports.tcp"
        runs = [(tcp, say(key, *_count_phrases(tcp),
                          join="comma", type=tcp.scan_type, flag=tcp_type, spec=spec,
                          detection=" ".join(version)))]
        if ctx.options.udp:
            udp = nmap_scan(address, ctx, ("-sU", "--top-ports", str(UDP_TOP)), None,
                            self.batches, shared)
            runs.append((udp, say("summary.ports.udp", *_count_phrases(udp), join="comma",
                                  top=UDP_TOP)))
        rows = sorted((r for run, _ in runs for r in run.ports if r.state == "open"),
                      key=lambda r: (r.protocol, r.port))
        n = ctx.connections - before
        hosts = max(shared, default=1)
        how = [say("summary.ports.nmap", version=tcp.version, address=address),
               ctx.options.scan_rate.phrase()]
        if hosts > 1:
            how.append(say("summary.ports.shared", n=hosts))
        how += [phrase for _, phrase in runs]
        if fallback:
            how.append(say("summary.ports.no_raw_socket"))
        how.append(say("summary.ports.runs", n=n))
        if ctx.options.on_progress is not None:
            ctx.options.on_progress(f"exposure scan of {target.host} ({address}): "
                                    + "; ".join(_counts(run) for run, _ in runs))
        return rows, summary(*how)

def nmap_scan(address: str, ctx: ProbeContext, scan: tuple[str, ...], ports: str | None,
              batches: NmapBatches | None = None, shared: list[int] | None = None,
              hosts: Sequence[str] | None = None) -> NmapRun:
    """`address`'s nmap run within the service's budget; failures as ProbeFailure. With
    `batches`, one run covers every address of the scan's exposure_hosts of the same IP
    family (or of `hosts`; the first to ask starts it); `shared` gets how many hosts that run
    covered."""
    remaining = ctx.deadline - time.monotonic()
    if remaining < MIN_BUDGET:
        raise ProbeFailure("service time budget exhausted before the port scan",
                           ReasonCategory.BUDGET_EXHAUSTED, say("reason.budget.ports"))
    if find_nmap() is None:
        raise ProbeFailure(INSTALL_HINT, ReasonCategory.TOOL_MISSING)
    six = ":" in address
    everyone = ctx.options.exposure_hosts if hosts is None else hosts  # who asks the same
    peers = [a for a in everyone if (":" in a) == six] if batches else []
    rate = ctx.options.scan_rate

    def runner(addresses: tuple[str, ...]) -> dict[str, NmapRun]:
        args = [*COMMON, *rate.arguments(len(addresses)),
                "--host-timeout", f"{int(remaining * 1000)}ms", *scan, *(["-6"] if six else [])]
        try:
            return run_nmap_hosts(addresses, args, ports, timeout=remaining + KILL_GRACE)
        except NmapMissing:
            raise ProbeFailure(INSTALL_HINT, ReasonCategory.TOOL_MISSING) from None
        except NmapTimeout as exc:
            raise ProbeFailure(f"{exc}; the service time budget was {remaining:.0f} s",
                               ReasonCategory.TIMEOUT) from None
        except NmapFailed as exc:
            raise ProbeFailure(f"nmap failed: {exc}", ReasonCategory.INTERNAL_ERROR) from None

    ctx.connections += 1  # one nmap run; the engine runs a service's probes in turn
    if batches is None:
        run = runner((address,))[address]
    else:
        key = (LOCAL, "IPv6" if six else "IPv4", *scan, rate.name, ports or "")
        got = batches.result(key, address, peers, ctx.deadline, runner)
        run = got.run
        if shared is not None:
            shared.append(got.hosts)
    if run.host_state == "":
        raise ProbeFailure(f"nmap reported no result for {address}", ReasonCategory.PROTOCOL_ERROR)
    if run.host_state != "up":
        raise ProbeFailure(f"{address} seems down ({run.host_reason or 'no reply'})",
                           ReasonCategory.UNREACHABLE)
    if run.timed_out:
        raise ProbeFailure(
            f"nmap gave up on {address} at the host timeout ({remaining:.0f} s, the rest of "
            "the service time budget): raise the budget or narrow the port range",
                           ReasonCategory.BUDGET_EXHAUSTED)
    answered = run.states.get("open", 0) + run.states.get("closed", 0)
    if run.scanned and not answered and run.reasons and set(run.reasons) <= UNREACHABLE:
        raise ProbeFailure(f"{address} is unreachable (ICMP "
                           f"{' / '.join(sorted(run.reasons))} for every port)",
                           ReasonCategory.UNREACHABLE)
    return run


_TYPES = {"syn": "SYN scan", "connect": "connect scan"}


def _count_phrases(run: NmapRun) -> list[Phrase]:
    """`_counts` in the reports' words."""
    n = run.states.get
    out = [say("summary.ports.counts", scanned=run.scanned, open=n("open", 0),
               filtered=n("filtered", 0), closed=n("closed", 0))]
    if n("open|filtered"):
        out.append(say("summary.ports.open_filtered", count=n("open|filtered", 0)))
    out += [say("summary.ports.other_state", count=count, state=state)
            for state, count in sorted(run.states.items())
            if state not in ("open", "filtered", "closed", "open|filtered")]
    out.append(say("summary.ports.elapsed", seconds=round(run.elapsed, 1)))
    if run.warnings:
        out.append(say("summary.ports.warned", warning=clean_detail(run.warnings[0])))
    return out


def _counts(run: NmapRun) -> str:
    n = run.states.get
    text = (f"{run.scanned} scanned, {n('open', 0)} open, {n('filtered', 0)} filtered, "
            f"{n('closed', 0)} closed")
    if n("open|filtered"):
        text += f", {n('open|filtered')} open|filtered (no answer; not counted as open)"
    for state, count in sorted(run.states.items()):
        if state not in ("open", "filtered", "closed", "open|filtered"):
            text += f", {count} {state}"
    text += f", {run.elapsed:.1f} s"
    if run.warnings:
        text += f" (nmap warned: {clean_detail(run.warnings[0])})"
    return text
