"""The network parts of an inventory: roles, zones and flows, vantage points, mail domains."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scanner.models import (
    ClientZone,
    ExposedHost,
    Flow,
    FlowDestination,
    Host,
    LocalVantage,
    MailDomain,
    NetworkService,
    RequiredFlow,
    SendingDomain,
    ServiceProtocol,
    SourceLocation,
    Vantage,
    VantagePoint,
    Zone,
    ZonePair,
)
from scanner.netaddr import is_loopback, parse_server
from scanner.yamlsrc import Document

# Ports tried between zones beside the declared flows and the destination roles' ports.
COMMON_PORTS = (21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 389, 443, 445, 465, 587,
                636, 993, 995, 1433, 1521, 2049, 2375, 3306, 3389, 5432, 5900, 5985, 5986,
                6379, 8000, 8080, 8443, 9200, 11211, 27017)


@dataclass(frozen=True)
class NetworkPart:
    zones: tuple[Zone, ...] = ()
    flows: tuple[Flow, ...] = ()
    vantages: tuple[Vantage, ...] = ()
    sending_domains: tuple[SendingDomain, ...] = ()
    dns_server: str | None = None
    subjects: tuple[ZonePair | MailDomain, ...] = ()


def parse_roles(doc: Document) -> dict[str, tuple[str, ...]]:
    roles = doc.data.get("roles") or {}
    for name, r in roles.items():
        for i, port in enumerate(r["allowed_ports"]):
            check_port(doc, ("roles", name, "allowed_ports", i), port)
    return {name: tuple(r["allowed_ports"]) for name, r in roles.items()}


def check_port(doc: Document, at: tuple[str | int, ...], text: str) -> None:
    """`PORT/proto` (the schema checked the shape): the number must be a real port."""
    number = _number(text)
    if not 1 <= number <= 65535:
        raise doc.error(at, f"port {number} is out of range; expected 1 to 65535 "
                        f"(like 443/tcp); got {text!r}")


def role_services(doc: Document, role: str) -> tuple[str, ...]:
    return tuple((doc.data.get("roles") or {}).get(role, {}).get("allowed_services") or ())


def exposed_host(doc: Document, at: tuple[str | int, ...], raw: dict[str, Any],
                 address: str | None, dns_name: str | None,
                 roles: dict[str, tuple[str, ...]]) -> ExposedHost | None:
    """The host itself (its exposed ports, judged against its role) when roles are declared."""
    role = raw.get("role")
    if not roles:
        return None
    if role is None:
        raise doc.error(at, "expected a 'role' (the inventory declares roles, so every "
                        f"host needs one: {', '.join(roles)})")
    if role not in roles:
        raise doc.error((*at, "role"), f"unknown role '{role}'; expected one of: "
                        f"{', '.join(roles)}")
    # a host known by name only is resolved (and scope-checked) at scan time
    return ExposedHost(host=raw["name"], address=address, dns_name=dns_name, role=role,
                       allowed_ports=roles[role], allowed_services=role_services(doc, role),
                       location=doc.where(at))


def port80_subject(services: Sequence[NetworkService], host: str, address: str | None,
                   dns_name: str | None, role: str | None, location: SourceLocation | None
                   ) -> list[NetworkService]:
    """Port 80 of a host with an HTTPS service and no http one ("port 80, where open, only
    redirects to HTTPS"); its HTTPS ports tell a dropped port 80 from a host that is down."""
    has_http = any(s.protocol is ServiceProtocol.HTTP or s.port == 80 for s in services)
    https = [s.port for s in services if s.protocol is ServiceProtocol.HTTPS]
    if not https or has_http:
        return []
    return [NetworkService(host=host, address=address, dns_name=dns_name, port=80,
                           protocol=ServiceProtocol.HTTP, role=role, location=location,
                           companion_ports=tuple(https))]


def parse_network(doc: Document, hosts: Sequence[Host], roles: dict[str, tuple[str, ...]],
                  in_scope: Any) -> NetworkPart:
    data = doc.data
    vantages = []
    for name, v in (data.get("vantages") or {}).items():
        at = ("vantages", name, "address")
        try:
            addr = str(ipaddress.ip_address(v["address"]))
        except ValueError:
            raise doc.error(at, f"expected an IP address; got {v['address']!r}") from None
        if not in_scope(addr):
            raise doc.error(at, f"{addr} is outside the declared scope; add its network to "
                            "'scope' to allow SSH to it")
        vantages.append(Vantage(name=name, address=addr, port=v.get("port", 22), user=v["user"],
                                key_file=v["key_file"], known_hosts=v["known_hosts"]))
    by_name = {h.name: h for h in hosts}
    zones = []
    for name, z in (data.get("zones") or {}).items():
        for i, h in enumerate(z.get("hosts") or []):
            if h not in by_name:
                raise doc.error(("zones", name, "hosts", i), f"unknown host '{h}'; expected "
                                f"one of: {', '.join(by_name)}")
        vantage = z.get("vantage")
        if vantage not in (None, "local") and vantage not in {v.name for v in vantages}:
            raise doc.error(("zones", name, "vantage"), f"unknown vantage '{vantage}'; expected "
                            "'local' or one of: "
                            f"{', '.join(v.name for v in vantages) or '(no vantages declared)'}")
        zones.append(Zone(name=name, hosts=tuple(z.get("hosts") or ()), vantage=vantage or ""))
    zone_names = {z.name for z in zones}
    flows = []
    for i, f in enumerate(data.get("flows") or []):
        for key in ("from", "to"):
            if f[key] not in zone_names:
                raise doc.error(("flows", i, key), f"unknown zone '{f[key]}'; expected one of: "
                                f"{', '.join(zone_names) or '(no zones declared)'}")
        check_port(doc, ("flows", i, "port"), f["port"])
        flows.append(Flow(source=f["from"], destination=f["to"], port=f["port"],
                          location=doc.where(("flows", i))))
    subjects: list[ZonePair | MailDomain] = list(
        _zone_pairs(doc, zones, flows, by_name, roles, vantages))
    mail = data.get("mail") or {}
    domains = []
    for i, d in enumerate(mail.get("sending_domains") or []):
        ips = []
        for j, ip in enumerate(d["ips"]):
            try:
                ips.append(str(ipaddress.ip_address(ip)))
            except ValueError:
                raise doc.error(("mail", "sending_domains", i, "ips", j),
                                f"expected an IP address; got {ip!r}") from None
        loc = doc.where(("mail", "sending_domains", i))
        domains.append(SendingDomain(domain=d["domain"], ips=tuple(ips), location=loc))
        subjects.append(MailDomain(domain=d["domain"], ips=tuple(ips), location=loc))
    dns_server = mail.get("dns_server")
    if dns_server is not None:
        _check_dns_server(doc, dns_server, in_scope)
    return NetworkPart(zones=tuple(zones), flows=tuple(flows), vantages=tuple(vantages),
                       sending_domains=tuple(domains), dns_server=dns_server,
                       subjects=tuple(subjects))


def _check_dns_server(doc: Document, text: str, in_scope: Any) -> None:
    """The SPF resolver is queried by the scan: it must be on loopback or inside the scope."""
    at = ("mail", "dns_server")
    try:
        address, _ = parse_server(text, 53)
    except ValueError as exc:
        raise doc.error(at, str(exc)) from None
    if not is_loopback(address) and not in_scope(address):
        raise doc.error(at, f"{address} is outside the declared scope; add its network to "
                        "'scope' to allow DNS queries to it")


def _zone_pairs(doc: Document, zones: Sequence[Zone], flows: Sequence[Flow],
                hosts: dict[str, Host], roles: dict[str, tuple[str, ...]],
                vantages: Sequence[Vantage]) -> list[ZonePair]:
    """One subject per ordered pair of zones whose destination has hosts and whose source has a
    vantage point, or has declared flows (which then cannot be checked: an error, not a pass)."""
    out = []
    for src in zones:
        for dst in zones:
            declared = [f for f in flows if f.source == src.name and f.destination == dst.name]
            if src.name == dst.name or not dst.hosts or not (src.vantage or declared):
                continue
            required = tuple(RequiredFlow(host=h, port=_number(f.port),
                                          transport="udp" if f.port.endswith("/udp") else "tcp")
                             for f in declared for h in dst.hosts)
            ports = {_number(f.port) for f in flows if f.destination == dst.name}
            for h in dst.hosts:
                role = hosts[h].role
                ports |= {_number(p) for p in roles.get(role or "", ()) if p.endswith("/tcp")}
            loc = declared[0].location if declared else doc.where(("zones", src.name))
            out.append(ZonePair(
                source=src.name, destination=dst.name,
                vantage=vantage_point(src.vantage, vantages),
                destinations=tuple(FlowDestination(host=h, address=hosts[h].address)
                                   for h in dst.hosts),
                ports=tuple(sorted(ports | set(COMMON_PORTS))), required=required,
                location=loc))
    return out


def _number(port: str) -> int:
    """443 of `443/tcp` (checked by check_port)."""
    return int(port.split("/")[0])


def vantage_point(name: str, vantages: Sequence[Vantage]) -> VantagePoint | None:
    """A zone's `vantage` (checked when the zones were read): the scanner, an SSH host or none."""
    if not name:
        return None
    if name == "local":
        return LocalVantage()
    return next(v for v in vantages if v.name == name)


def probe_vantages(doc: Document, hosts: Sequence[Host], zones: Sequence[Zone],
                   flows: Sequence[Flow], vantages: Sequence[Vantage]) -> list[Host]:
    """Each network service is probed from its clients' zone: the one its `clients` names,
    else the zones with a declared flow to its host and port (the scanner itself when one of
    them is `local`, else the first with an SSH vantage). Port 80 added beside HTTPS goes
    where the host's first HTTPS service goes. Recorded as the service's `clients`; a service
    without them is probed from here."""
    by_zone = {z.name: z for z in zones}
    out = []
    for i, host in enumerate(hosts):
        raw = doc.data["hosts"][i]["services"]
        homes = {z.name for z in zones if host.name in z.hosts}
        chosen: dict[int, Zone | None] = {}
        for j, svc in enumerate(host.services):
            named = raw[j].get("clients") if j < len(raw) else None
            if named is not None:
                at = ("hosts", i, "services", j, "clients")
                zone = by_zone.get(named)
                if zone is None:
                    raise doc.error(at, f"unknown zone '{named}'; expected one of: "
                                    f"{', '.join(by_zone) or '(no zones declared)'}")
                if not zone.vantage:
                    raise doc.error(at, f"zone '{named}' has no vantage to probe from; give "
                                    "it one ('vantage: local' or an SSH vantage)")
                chosen[j] = zone
                continue
            sources = [by_zone[f.source] for f in flows
                       if f.destination in homes and f.port == f"{svc.port}/tcp"]
            usable = [z for z in sources if z.vantage]
            chosen[j] = next((z for z in usable if z.vantage == "local"),
                             usable[0] if usable else None)
        https = [j for j, s in enumerate(host.services) if s.protocol is ServiceProtocol.HTTPS]
        services = []
        for j, svc in enumerate(host.services):
            zone = chosen.get(j)
            if zone is None and svc.companion_ports and https:
                zone = chosen.get(https[0])  # port 80 beside HTTPS: from the same place
            point = vantage_point(zone.vantage, vantages) if zone is not None else None
            if zone is not None and point is not None:
                svc = svc.model_copy(update={"clients": ClientZone(zone=zone.name,
                                                                   vantage=point)})
            services.append(svc)
        out.append(host.model_copy(update={"services": tuple(services)}))
    return out
