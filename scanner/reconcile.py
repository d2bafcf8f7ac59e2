"""Inside and outside side by side: for each host with both an exposure scan (`ports.open`) and
a socket list (`host.listening`), every port with what listens on it, whether the role allows
it and whether it was reachable. Pure: reads the facts, judges nothing (the rules do that)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scanner.models import (
    Fact,
    InventoryInfo,
    Observation,
    PortVerdict,
    PortView,
    ProbeStatus,
    ServiceProtocol,
    ServiceReport,
    Summary,
    TextValue,
)


def _values(fact: Fact | None) -> dict[str, Observation] | None:
    if fact is None or fact.status is not ProbeStatus.COMPLETED or \
            not isinstance(fact.value, tuple):
        return None
    return {o.value: o for o in fact.value if isinstance(o, Observation)}


def _all_interfaces(detail: str) -> bool:
    """`host.listening` details read "ADDRESS PROCESS; ADDRESS PROCESS" (inside/parse.py)."""
    from scanner.probes.inside.parse import WILDCARDS  # the parsers load with the probe

    return any(part.strip().split(" ")[0] in WILDCARDS for part in detail.split(";"))


_TCP_SPEC = re.compile(r"\(-s[ST]\) of ports ([0-9,\-]+)")
_TCP_KEYS = ("summary.ports.syn", "summary.ports.connect", "summary.ports.tcp")


def scanned(port: str, summary: Summary) -> bool:
    """Whether the exposure scan (as its `ports.open` summary tells) covered PORT/proto."""
    number, _, proto = port.partition("/")
    keys = {p.key: p for p in summary.phrases}
    if proto == "udp":  # the top UDP ports: only those nmap reported are known
        return "summary.ports.udp" in keys or "(-sU)" in summary.text
    tcp = next((keys[k] for k in _TCP_KEYS if k in keys), None)
    spec = tcp.params.get("spec") if tcp else None
    m = _TCP_SPEC.search(summary.text)
    if isinstance(spec, TextValue):
        ranges = spec.text
    elif m is not None:  # an older result, its summary in words
        ranges = m.group(1)
    else:
        return True  # an older result without the spec: as before
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        if int(low) <= int(number) <= int(high or (65535 if "-" in part else low)):
            return True
    return False


def verdict(listening: bool, all_interfaces: bool, allowed: bool | None, reachable: bool
            ) -> PortVerdict:
    if listening and reachable:
        return "ok" if allowed else "exposed"
    if listening:
        return "filtered" if all_interfaces else "internal"
    return "reachable_no_socket" if reachable else "allowed_unused"


def host_ports(inventory: InventoryInfo, reports: Sequence[ServiceReport]
               ) -> tuple[PortView, ...]:
    by_host: dict[str, dict[ServiceProtocol, ServiceReport]] = {}
    for report in reports:
        by_host.setdefault(report.service.host, {})[report.service.protocol] = report
    out: list[PortView] = []
    for host in inventory.hosts:
        views = by_host.get(host.name, {})
        outside = views.get(ServiceProtocol.HOST)
        inside = views.get(ServiceProtocol.INSIDE)
        if outside is None or inside is None:
            continue
        open_ports = _values(outside.fact("ports.open"))
        sockets = _values(inside.fact("host.listening"))
        if open_ports is None or sockets is None:
            continue
        allowed_ports = inventory.roles.get(host.role or "") if host.role else None
        ports = set(open_ports) | set(sockets) | set(allowed_ports or ())
        summary = (outside.fact("ports.open") or Fact(name="", status=ProbeStatus.ERROR)).summary
        # a port the exposure scan did not cover is left out: "not reachable" would be a guess
        ports = {p for p in ports if scanned(p, summary)}
        for port in sorted(ports, key=lambda p: (int(p.split("/")[0]), p)):
            detail = sockets[port].detail if port in sockets else ""
            listening, wide = port in sockets, _all_interfaces(detail)
            allowed = None if allowed_ports is None else port in allowed_ports
            out.append(PortView(host=host.name, port=port, listening=listening, inside=detail,
                                all_interfaces=wide, allowed=allowed,
                                reachable=port in open_ports,
                                verdict=verdict(listening, wide, allowed, port in open_ports)))
    return tuple(out)
