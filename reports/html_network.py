"""The network part of the HTML report: the zone × zone flow matrix and exposed ports per host.

Required flows come from the inventory; observed ones from the `flows.open` fact of each zone
pair's subject, open ports from the `ports.open` fact of each host subject.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from reports.html_matrix import natural_key
from scanner.models import (
    ExposedHost,
    Fact,
    InventoryInfo,
    Observation,
    ProbeStatus,
    ScanResult,
    ServiceReport,
    Vantage,
    Zone,
    ZonePair,
)

FlowState = Literal["ok", "missing", "extra", "not_checked", "not_tested"]
Difference = Literal["missing", "extra", "not_checked", "not_tested"]
Outcome = Literal["ok", "differs", "not_checked", "not_tested"]
PortState = Literal["ok", "unexpected", "not_checked"]

FLOWS_FACT = "flows.open"
PORTS_FACT = "ports.open"


@dataclass(frozen=True)
class FlowItem:
    value: str  # HOST:PORT/tcp, or PORT/tcp when the destination zone has no host
    flagged: bool = False  # required but not open, or open but not required
    detail: str = ""  # how the connection was seen
    label: str = ""  # shown in the grid: PORT/tcp when the column names the only host
    observation: Observation | None = None  # the observation itself (its detail may be keyed)

    @property
    def short(self) -> str:
        return self.label or self.value


@dataclass(frozen=True)
class Unchecked:
    """Why a fact is missing: the probe's reason, or it was never gathered."""

    fact: Fact | None  # None: not gathered (no rule of the selected packs needs it)

    @property
    def reason(self) -> str | None:
        return None if self.fact is None else self.fact.reason or self.fact.status.value


@dataclass(frozen=True)
class FlowCell:
    source: Zone
    destination: Zone
    states: tuple[FlowState, ...]  # "missing" and "extra" may both hold
    required: tuple[FlowItem, ...]
    observed: tuple[FlowItem, ...]  # empty unless checked
    key: str | None  # the zone pair's subject; None: not tested
    unchecked: Unchecked | None = None

    @property
    def outcome(self) -> Outcome:
        state = self.states[0]
        if state == "missing" or state == "extra":
            return "differs"
        return state


@dataclass(frozen=True)
class FlowRow:
    zone: Zone
    cells: tuple[FlowCell | None, ...]  # None on the diagonal (same zone)


@dataclass(frozen=True)
class FlowDifference:
    cell: FlowCell
    item: FlowItem
    kind: Difference


@dataclass(frozen=True)
class FlowMatrix:
    destinations: tuple[Zone, ...]
    rows: tuple[FlowRow, ...]
    differences: tuple[FlowDifference, ...]
    idle_sources: tuple[str, ...]  # no vantage point, no declared flow: not a row
    hostless: tuple[str, ...]  # no host, no declared flow to it: not a column
    counts: dict[Outcome, int]  # zone pairs (cells) per outcome


@dataclass(frozen=True)
class OpenPort:
    observation: Observation
    allowed: bool


@dataclass(frozen=True)
class AllowedPort:
    port: str
    open: bool | None  # None: not checked


@dataclass(frozen=True)
class HostPorts:
    service: ExposedHost
    state: PortState
    allowed: tuple[AllowedPort, ...]
    open: tuple[OpenPort, ...]
    unchecked: Unchecked | None = None


@dataclass(frozen=True)
class NetworkView:
    matrix: FlowMatrix
    hosts: tuple[HostPorts, ...]
    vantages: dict[str, Vantage]

    @property
    def unexpected_hosts(self) -> int:
        return sum(1 for h in self.hosts if h.state == "unexpected")


def _completed(report: ServiceReport | None, name: str
               ) -> tuple[tuple[Observation, ...] | None, Unchecked | None]:
    """The fact's observations, or why there are none."""
    fact: Fact | None = report.fact(name) if report else None
    if fact is None:
        return None, Unchecked(None)
    if fact.status is not ProbeStatus.COMPLETED:
        return None, Unchecked(fact)
    value = fact.value if isinstance(fact.value, tuple) else ()
    return tuple(o for o in value if isinstance(o, Observation)), None


def _required(inv: InventoryInfo, src: Zone, dst: Zone) -> tuple[str, ...]:
    ports = [f.port for f in inv.flows if f.source == src.name and f.destination == dst.name]
    items = [f"{h}:{p}" for p in ports for h in dst.hosts] if dst.hosts else ports
    return tuple(dict.fromkeys(items))


def _item(dst: Zone, value: str, flagged: bool = False,
          seen: Observation | None = None) -> FlowItem:
    only = f"{dst.hosts[0]}:" if len(dst.hosts) == 1 else None
    label = value.removeprefix(only) if only and value.startswith(only) else ""
    return FlowItem(value, flagged, seen.detail if seen else "", label, seen)


def _cell(inv: InventoryInfo, reports: dict[str, ServiceReport], subjects: dict[str, ZonePair],
          src: Zone, dst: Zone) -> FlowCell:
    required = _required(inv, src, dst)
    subject = subjects.get(f"{src.name}->{dst.name}")
    plain = tuple(_item(dst, r) for r in required)
    if subject is None:
        return FlowCell(src, dst, ("not_tested",), plain, (), None)
    seen, unchecked = _completed(reports.get(subject.key), FLOWS_FACT)
    if seen is None:
        return FlowCell(src, dst, ("not_checked",), plain, (), subject.key, unchecked)
    observed = {o.value: o for o in seen}
    states: list[FlowState] = []
    if set(required) - set(observed):
        states.append("missing")
    if set(observed) - set(required):
        states.append("extra")
    return FlowCell(
        src, dst, tuple(states) or ("ok",),
        tuple(_item(dst, r, r not in observed, observed.get(r)) for r in required),
        # the required ones in the same order, then the extra ones
        tuple(_item(dst, v, v not in required, observed[v])
              for v in [r for r in required if r in observed]
              + sorted(set(observed) - set(required), key=natural_key)),
        subject.key)


def _differences(cells: list[FlowCell]) -> tuple[FlowDifference, ...]:
    out = []
    for c in cells:
        # a required flow nobody could verify is listed too
        if c.states == ("not_checked",) or c.states == ("not_tested",):
            out += [FlowDifference(c, i, c.states[0]) for i in c.required]
            continue
        out += [FlowDifference(c, i, "missing") for i in c.required if i.flagged]
        out += [FlowDifference(c, i, "extra") for i in c.observed if i.flagged]
    return tuple(out)


def flow_matrix(result: ScanResult) -> FlowMatrix:
    inv = result.inventory
    reports = {s.service.key: s for s in result.services}
    subjects = {s.host: s for s in inv.subjects if isinstance(s, ZonePair)}
    sources = {f.source for f in inv.flows}
    targets = {f.destination for f in inv.flows}
    rows_z = [z for z in inv.zones if z.vantage or z.name in sources]
    cols_z = [z for z in inv.zones if z.hosts or z.name in targets]
    rows, cells = [], []
    for src in rows_z:
        row = [None if src.name == dst.name else _cell(inv, reports, subjects, src, dst)
               for dst in cols_z]
        cells += [c for c in row if c is not None]
        rows.append(FlowRow(src, tuple(row)))
    counts = Counter(c.outcome for c in cells)
    return FlowMatrix(
        destinations=tuple(cols_z), rows=tuple(rows), differences=_differences(cells),
        idle_sources=tuple(z.name for z in inv.zones if z not in rows_z),
        hostless=tuple(z.name for z in inv.zones if z not in cols_z),
        counts=dict(counts))


def host_ports(result: ScanResult) -> tuple[HostPorts, ...]:
    inv = result.inventory
    reports = {s.service.key: s for s in result.services}
    out = []
    for subject in (h.exposure for h in inv.hosts if h.exposure is not None):
        allowed = subject.allowed_ports or inv.roles.get(subject.role, ())
        seen, unchecked = _completed(reports.get(subject.key), PORTS_FACT)
        if seen is None:
            out.append(HostPorts(subject, "not_checked",
                                 tuple(AllowedPort(p, None) for p in allowed), (), unchecked))
            continue
        values = {o.value for o in seen}
        opened = tuple(OpenPort(o, o.value in allowed)
                       for o in sorted(seen, key=lambda o: natural_key(o.value)))
        state: PortState = "ok" if all(p.allowed for p in opened) else "unexpected"
        out.append(HostPorts(subject, state,
                             tuple(AllowedPort(p, p in values) for p in allowed), opened))
    return tuple(out)


def network_view(result: ScanResult) -> NetworkView | None:
    """None when the inventory declares no zone: the report then has no network section."""
    if not result.inventory.zones:
        return None
    return NetworkView(flow_matrix(result), host_ports(result),
                       {v.name: v for v in result.inventory.vantages})
