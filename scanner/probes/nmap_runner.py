"""A typed wrapper around python-nmap: one nmap run against one address, read from its XML.

python-nmap finds the binary, runs it with a time limit and splits stderr into warnings and
errors; its result dictionary drops what the probe needs (the nmap version, how many ports
were scanned, the `extraports` counts, the host timeout, the exit status), so the raw XML it
keeps is read here instead.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

INSTALL_HINT = "nmap is not installed: apt-get install nmap"


class NmapMissing(Exception):
    """No nmap executable on PATH."""


class NmapFailed(Exception):
    """nmap ran but reports a failure, or printed no readable XML."""


class NmapTimeout(Exception):
    """nmap outlived the time limit and was killed."""


@dataclass(frozen=True)
class PortRow:
    """One port nmap lists individually (the others are only counted, as `extraports`)."""

    port: int
    protocol: str  # tcp | udp
    state: str  # open | closed | filtered | open|filtered | ...
    reason: str = ""  # syn-ack, conn-refused, port-unreach, no-response, host-unreach...
    service: str = ""
    product: str = ""
    version: str = ""
    method: str = ""  # probed (service detection answered) | table (guess from the port number)


@dataclass(frozen=True)
class NmapRun:
    version: str  # of nmap itself
    scan_type: str  # syn | connect | udp
    scanned: int  # ports nmap was asked to scan
    elapsed: float  # seconds, as nmap reports
    host_state: str  # up | down | "" when nmap reported no host at all
    host_reason: str = ""
    timed_out: bool = False  # nmap gave up on the host at --host-timeout
    ports: tuple[PortRow, ...] = ()
    states: Mapping[str, int] = field(default_factory=dict)  # state -> ports, listed + counted
    reasons: Mapping[str, int] = field(default_factory=dict)  # reason -> ports
    warnings: tuple[str, ...] = ()


def find_nmap() -> str | None:
    return shutil.which("nmap")


def run_nmap(address: str, arguments: Sequence[str], ports: str | None,
             timeout: float) -> NmapRun:
    """Run `nmap -oX - ARGUMENTS [-p PORTS] ADDRESS`, killed after `timeout` seconds."""
    return run_nmap_hosts((address,), arguments, ports, timeout)[address]


def run_nmap_hosts(addresses: Sequence[str], arguments: Sequence[str], ports: str | None,
                   timeout: float) -> dict[str, NmapRun]:
    """One nmap run for several addresses (IP literals): each address -> its run, read from
    its own `host` element (an address nmap did not report gets host_state "")."""
    path = find_nmap()
    if path is None:
        raise NmapMissing(INSTALL_HINT)
    import nmap  # here: the probe catalogue, loaded by every scan, needs no python-nmap

    try:
        scanner: Any = nmap.PortScanner(nmap_search_path=(path,))
        raw: Any = scanner.scan(hosts=" ".join(addresses), ports=ports,
                                arguments=" ".join(arguments), timeout=max(timeout, 0.1))
        xml = scanner.get_nmap_last_output()
    except nmap.PortScannerTimeout:
        raise NmapTimeout(f"nmap was still running after {timeout:.0f} s") from None
    except nmap.PortScannerError as exc:
        raise NmapFailed(_first_line(str(exc))) from None
    except Exception as exc:  # python-nmap chokes on truncated XML in odd ways
        raise NmapFailed(f"unreadable nmap output ({type(exc).__name__}: {exc})") from None
    info = raw.get("nmap", {}).get("scaninfo", {}) if isinstance(raw, dict) else {}
    warnings = tuple(w.strip() for w in info.get("warning", ()))
    runs = parse_hosts(xml if isinstance(xml, str) else bytes(xml).decode("utf-8", "replace"),
                       addresses)
    if info.get("error"):  # stderr lines other than warnings
        if all(run.host_state == "" for run in runs.values()):  # no result: stderr says why
            raise NmapFailed(_first_line(str(info["error"][0])))
        warnings = (*warnings, _first_line(str(info["error"][0])))
    return {a: replace(run, warnings=warnings) for a, run in runs.items()}


def parse_hosts(xml: str, addresses: Sequence[str]) -> dict[str, NmapRun]:
    """Each address's run, from the XML of one nmap run over all of them."""
    root = _root(xml)
    hosts: dict[str, ET.Element] = {}
    for host in root.findall("host"):
        for addr in host.findall("address"):
            if addr.get("addrtype") in ("ipv4", "ipv6") and addr.get("addr"):
                hosts.setdefault(str(addr.get("addr")), host)
    return {a: _run(root, hosts.get(a)) for a in addresses}


def parse_xml(xml: str) -> NmapRun:
    """The run nmap describes in its XML output (one host)."""
    root = _root(xml)
    return _run(root, root.find("host"))


def _root(xml: str) -> ET.Element:
    try:
        root = ET.fromstring(xml)  # noqa: S314 - nmap's own output; banners arrive escaped
    except ET.ParseError as exc:
        raise NmapFailed(f"nmap printed no readable XML ({exc})") from None
    finished = root.find("runstats/finished")
    if finished is not None and finished.get("exit") == "error":
        raise NmapFailed(finished.get("errormsg") or "nmap reports an error")
    return root


def _run(root: ET.Element, host: ET.Element | None) -> NmapRun:
    """One host's run; its time is the run's (the hosts of a run are scanned side by side:
    nmap's per-host times are whole seconds)."""
    finished = root.find("runstats/finished")
    info = root.find("scaninfo")
    info = info if info is not None else ET.Element("scaninfo")
    done = finished if finished is not None else ET.Element("finished")
    head = (root.get("version", "?"), info.get("type", "?"), int(info.get("numservices", 0)),
            float(done.get("elapsed", 0)))
    if host is None:
        return NmapRun(*head, host_state="")
    status = host.find("status")
    status = status if status is not None else ET.Element("status")
    rows = tuple(_row(p) for p in host.findall("ports/port"))
    states: Counter[str] = Counter(r.state for r in rows)
    reasons: Counter[str] = Counter(r.reason for r in rows)
    for extra in host.findall("ports/extraports"):
        states[extra.get("state", "?")] += int(extra.get("count", 0))
        for why in extra.findall("extrareasons"):
            reasons[why.get("reason", "?")] += int(why.get("count", 0))
    return NmapRun(*head, host_state=status.get("state", "?"),
                   host_reason=status.get("reason", ""),
                   timed_out=host.get("timedout") == "true",
                   ports=rows, states=dict(states), reasons=dict(reasons))


def _row(port: ET.Element) -> PortRow:
    state = port.find("state")
    service = port.find("service")

    def svc(name: str) -> str:
        return service.get(name, "") if service is not None else ""

    return PortRow(port=int(port.get("portid", 0)), protocol=port.get("protocol", "?"),
                   state=state.get("state", "?") if state is not None else "?",
                   reason=state.get("reason", "") if state is not None else "",
                   service=svc("name"), product=svc("product"), version=svc("version"),
                   method=svc("method"))


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if not ln.lower().startswith("warning")]
    return (errors or lines or ["nmap failed without a message"])[0]
