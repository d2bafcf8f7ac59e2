"""The estate to scan: load and validate an inventory, build ad-hoc ones, guard the scope."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.inventory_inside import inside_subject
from scanner.inventory_network import (
    exposed_host,
    parse_network,
    parse_roles,
    port80_subject,
    probe_vantages,
)
from scanner.models import (
    Contract,
    Host,
    InventoryInfo,
    NetworkService,
    ServiceProtocol,
    SourceLocation,
    SshAccess,
)
from scanner.netaddr import Network, in_scope, is_ip
from scanner.operations import parse_operations
from scanner.yamlsrc import Document, SourceError, read_document, validate_schema

LOOPBACK_SCOPE = ("127.0.0.0/8", "::1/128")
TARGETS_FILE = "rempart-targets.txt"  # the virtual file --target services point at
_DNS = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*"
                  r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$")
DEFAULT_PROTOCOL = {22: "ssh", 80: "http", 443: "https", 8443: "https", 25: "smtp",
                    587: "submission", 465: "smtps",
                    143: "imap", 993: "imaps", 110: "pop3", 995: "pop3s",
                    21: "ftp", 990: "ftps", 389: "ldap", 5222: "xmpp", 5432: "postgresql"}


class ScopeError(Exception):
    """A target lies outside the declared scope."""


@cache
def inventory_schema() -> dict[str, Any]:
    text = resources.files("scanner").joinpath("schema/inventory.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_inventory(path: Path, display: str | None = None) -> InventoryInfo:
    doc = read_document(path, display)
    validate_schema(doc, inventory_schema())
    return parse_inventory(doc)


def parse_inventory(doc: Document) -> InventoryInfo:
    data = doc.data
    scope = [_network(doc, i, text) for i, text in enumerate(data["scope"])]
    end = data["contract"].get("end_date")
    contract = Contract(customer=data["contract"]["customer"],
                        end_date=_date(doc, end) if end else None)
    roles = parse_roles(doc)
    hosts: list[Host] = []
    access: list[SshAccess] = []
    names: dict[str, int] = {}
    endpoints: dict[tuple[str, int], str] = {}
    for i, raw in enumerate(data["hosts"]):
        at = ("hosts", i)
        if raw["name"] in names:
            raise doc.error((*at, "name"), f"duplicate host name '{raw['name']}'")
        names[raw["name"]] = i
        address, dns_name = raw.get("address"), raw.get("dns_name")
        if address is None and dns_name is None:
            raise doc.error(at, "expected 'address', 'dns_name' or both")
        if address is not None:
            address = _address(doc, (*at, "address"), address)
            if not in_scope(address, scope):
                raise doc.error((*at, "address"), f"{address} is outside the declared scope "
                                f"({', '.join(map(str, scope))}); add its network to 'scope' "
                                "to authorise scanning it")
        if dns_name is not None and (not _DNS.match(dns_name) or is_ip(dns_name)):
            raise doc.error((*at, "dns_name"), f"expected a DNS name like app.example.com; "
                            f"got {dns_name!r}")
        services = []
        for j, svc in enumerate(raw["services"]):
            where = address or dns_name
            key = (str(where), svc["port"])
            if key in endpoints:
                raise doc.error((*at, "services", j, "port"), f"{where}:{svc['port']} is "
                                f"already declared (host {endpoints[key]})")
            endpoints[key] = raw["name"]
            services.append(NetworkService(
                host=raw["name"], address=address, dns_name=dns_name, port=svc["port"],
                protocol=ServiceProtocol(svc["protocol"]), role=raw.get("role"),
                location=doc.where((*at, "services", j)),
                protected_urls=tuple(svc.get("protected_urls") or ())))
        exposure = exposed_host(doc, at, raw, address, dns_name, roles)
        services += port80_subject(services, raw["name"], address, dns_name, raw.get("role"),
                                   doc.where(at))
        inside = inside_subject(doc, at, raw, address, dns_name, roles)
        if inside is not None:
            access.append(inside.access)
        hosts.append(Host(name=raw["name"], address=address, dns_name=dns_name,
                          role=raw.get("role"), services=tuple(services), exposure=exposure,
                          inside=inside, location=doc.where(at)))
    net = parse_network(doc, hosts, roles, lambda a: in_scope(a, scope))
    hosts = probe_vantages(doc, hosts, net.zones, net.flows, net.vantages)
    return InventoryInfo(path=doc.file, contract=contract,
                         scope=tuple(str(n) for n in scope), hosts=tuple(hosts), roles=roles,
                         zones=net.zones, flows=net.flows, vantages=net.vantages,
                         sending_domains=net.sending_domains, dns_server=net.dns_server,
                         subjects=net.subjects, ssh_access=tuple(access),
                         operations=parse_operations(doc))


def _network(doc: Document, index: int, text: str) -> Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise doc.error(("scope", index), "expected a network in CIDR notation like "
                        f"203.0.113.0/24; got {text!r}") from None


def _address(doc: Document, at: tuple[str | int, ...], text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise doc.error(at, f"expected an IPv4 or IPv6 address; got {text!r} "
                        "(put host names under 'dns_name')") from None


def _date(doc: Document, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise doc.error(("contract", "end_date"),
                        f"expected a date like 2027-06-30; got {text!r}") from None


def adhoc_inventory(targets: Sequence[str], scope: Sequence[str],
                    contract_end: dt.date | None) -> InventoryInfo:
    """Build an inventory from `--target HOST:PORT[/PROTOCOL]` options."""
    nets = []
    for text in scope or LOOPBACK_SCOPE:
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise SourceError("--scope", 1, 1, "scope", f"expected a network in CIDR "
                              f"notation like 203.0.113.0/24; got {text!r}") from None
    hosts = []
    parsed = [parse_target(text, i) for i, text in enumerate(targets, start=1)]
    for i, (host, port, protocol) in enumerate(parsed, start=1):
        address = host if is_ip(host) else None
        dns_name = None if address else host
        if address and not in_scope(address, nets):
            raise SourceError("--target", i, 1, "target", f"{address} is outside the scope "
                              f"({', '.join(map(str, nets))}); pass --scope {address}/"
                              f"{32 if ':' not in address else 128} to authorise it")
        loc = SourceLocation(file=TARGETS_FILE, line=i, column=1)
        svc = NetworkService(host=f"target{i}", address=address, dns_name=dns_name, port=port,
                             protocol=protocol, location=loc)
        # port 80 once per host, beside its first HTTPS target, unless a target names it
        same = [NetworkService(host="", address=None, dns_name=None, port=p, protocol=proto)
                for h, p, proto in parsed if h == host]
        first = next(s for s in same if s.protocol is protocol and s.port == port)
        extra = (port80_subject(same, f"target{i}", address, dns_name, None, loc)
                 if next((s for s in same if s.protocol is ServiceProtocol.HTTPS), None) is first
                 else [])
        hosts.append(Host(name=f"target{i}", address=address, dns_name=dns_name, role=None,
                          services=(svc, *extra), location=loc))
    return InventoryInfo(path=None, contract=Contract(customer="ad-hoc scan",
                                                      end_date=contract_end),
                         scope=tuple(str(n) for n in nets), hosts=tuple(hosts))


def parse_target(text: str, position: int = 1) -> tuple[str, int, ServiceProtocol]:
    """`host:port[/protocol]`, with `[v6]:port` for IPv6 addresses; errors name the
    `position`-th --target."""
    rest, _, proto = text.partition("/")
    m = re.match(r"^\[([0-9A-Fa-f:.]+)\]:(\d+)$", rest) or re.match(r"^([^:\[\]]+):(\d+)$", rest)
    usage = f"expected HOST:PORT[/PROTOCOL] like 203.0.113.5:443/https; got {text!r}"
    if not m:
        raise SourceError("--target", position, 1, "target", usage)
    host, port = m.group(1), int(m.group(2))
    if not 0 < port < 65536:
        raise SourceError("--target", position, 1, "target",
                          f"port {port} is out of range; {usage}")
    if not is_ip(host) and not _DNS.match(host):
        raise SourceError("--target", position, 1, "target",
                          f"{host!r} is not a valid host; {usage}")
    name = proto or DEFAULT_PROTOCOL.get(port, "tls")
    try:
        protocol = ServiceProtocol(name)
    except ValueError:
        raise SourceError("--target", position, 1, "target", f"unknown protocol {name!r}; expected "
                          f"one of: {', '.join(p.value for p in ServiceProtocol)}") from None
    if not protocol.network_service:
        services = ", ".join(p.value for p in ServiceProtocol if p.network_service)
        raise SourceError("--target", position, 1, "target", f"{name!r} is not a service protocol "
                          f"(hosts, flows and SPF domains come from an inventory); expected one "
                          f"of: {services}")
    return (str(ipaddress.ip_address(host)) if is_ip(host) else host), port, protocol
