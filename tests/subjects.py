"""Typed subjects for tests that judge or probe without an inventory file.

`subject_for` builds the subject kind a rule fixture names (`protocol:`) from the values it
cites (`context:`, as `${role.allowed_ports}` ...), and checks that the subject gives back
exactly those values: a fixture naming a value no subject kind carries fails loudly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scanner.models import (
    Estate,
    ExposedHost,
    FlowDestination,
    InsideHost,
    LocalVantage,
    MailDomain,
    NetworkService,
    RequiredFlow,
    ServiceProtocol,
    SshAccess,
    Subject,
    VantagePoint,
    ZonePair,
)

ADDRESS = "192.0.2.10"  # never contacted: judged only
LOCAL = LocalVantage()
DNS_NAME = "app.example.test"


def required_flows(labels: Sequence[str]) -> tuple[RequiredFlow, ...]:
    """`web1:443/tcp` -> RequiredFlow(web1, 443, tcp)."""
    out = []
    for label in labels:
        host, _, port = label.rpartition(":")
        number, _, transport = port.partition("/")
        out.append(RequiredFlow(host=host, port=int(number),
                                transport="udp" if transport == "udp" else "tcp"))
    return tuple(out)


def zone_pair(required: Sequence[str] = (), destinations: Mapping[str, str | None] | None = None,
              ports: Sequence[int] = (443,), vantage: VantagePoint | None = LOCAL,
              source: str = "users", destination: str = "front") -> ZonePair:
    flows = required_flows(required)
    hosts = dict(destinations or {})
    for flow in flows:
        hosts.setdefault(flow.host, None)
    return ZonePair(source=source, destination=destination,
                    vantage=vantage,
                    destinations=tuple(FlowDestination(host=h, address=a)
                                       for h, a in hosts.items()),
                    ports=tuple(ports), required=flows)


def access(host: str = "h", address: str = ADDRESS) -> SshAccess:
    return SshAccess(host=host, address=address, user="audit", key_file="/nonexistent/key",
                     known_hosts="/nonexistent/known_hosts")


def subject_for(protocol: ServiceProtocol, context: Mapping[str, Sequence[str]] | None = None,
                port: int = 443, host: str = "h", address: str = ADDRESS) -> Subject:
    ctx = {k: tuple(v) for k, v in (context or {}).items()}
    subject: Subject
    match protocol:
        case ServiceProtocol.HOST:
            subject = ExposedHost(host=host, address=address, dns_name=DNS_NAME, role="web",
                                  allowed_ports=ctx.get("role.allowed_ports", ()),
                                  allowed_services=ctx.get("role.allowed_services", ()))
        case ServiceProtocol.FLOW:
            subject = zone_pair(ctx.get("flow.required", ()))
        case ServiceProtocol.SPF:
            subject = MailDomain(domain="example.test", ips=ctx.get("spf.ips", ()))
        case ServiceProtocol.ESTATE:
            subject = Estate()
        case ServiceProtocol.INSIDE:
            subject = InsideHost(host=host, address=address, access=access(host, address),
                                 contractor_accounts=ctx.get("host.contractor_accounts"),
                                 allowed_ports=ctx.get("role.allowed_ports"))
        case _:
            declared = ctx.get("host.address")
            subject = NetworkService(host=host, address=declared[0] if declared else None,
                                     dns_name=DNS_NAME, port=port, protocol=protocol,
                                     protected_urls=ctx.get("http.protected_urls", ()))
    refs = subject.references()
    unknown = {k: v for k, v in ctx.items() if refs.get(k) != v}
    assert not unknown, f"a {protocol.value} subject does not carry {unknown} (it has {refs})"
    return subject
