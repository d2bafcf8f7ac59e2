"""Inside and outside side by side, from facts alone."""

from __future__ import annotations

from scanner.models import (
    Contract,
    Fact,
    Host,
    InventoryInfo,
    Observation,
    ProbeStatus,
    ServiceProtocol,
    ServiceReport,
)
from scanner.reconcile import host_ports
from tests.subjects import subject_for


def report(protocol: ServiceProtocol, fact: str, values: dict[str, str], summary: str = ""
           ) -> ServiceReport:
    service = subject_for(protocol, host="web1", address="203.0.113.10")
    value = tuple(Observation(value=k, detail=v) for k, v in values.items())
    return ServiceReport(service=service, probes=(), facts=(
        Fact(name=fact, status=ProbeStatus.COMPLETED, value=value, summary=summary),))


def inventory() -> InventoryInfo:
    host = Host(name="web1", address="203.0.113.10", dns_name=None, role="web", services=())
    return InventoryInfo(path=None, contract=Contract(customer="x"), scope=("203.0.113.0/24",),
                         hosts=(host,), roles={"web": ("22/tcp", "443/tcp", "8443/tcp")})


def test_every_port_read_from_both_sides() -> None:
    outside = report(ServiceProtocol.HOST, "ports.open",
                     {"22/tcp": "ssh", "443/tcp": "https", "6379/tcp": "redis", "80/tcp": "http"},
                     "TCP SYN scan (-sS) of ports 1-65535")
    inside = report(ServiceProtocol.INSIDE, "host.listening", {
        "22/tcp": "203.0.113.10 sshd", "443/tcp": "0.0.0.0 nginx", "6379/tcp": "0.0.0.0 redis",
        "5432/tcp": ":: postgres", "3306/tcp": "10.0.0.5 mysqld", "161/udp": "0.0.0.0 snmpd"})
    got = {p.port: p.verdict for p in host_ports(inventory(), [outside, inside])}
    assert got == {"22/tcp": "ok", "80/tcp": "reachable_no_socket", "443/tcp": "ok",
                   "3306/tcp": "internal", "5432/tcp": "filtered", "6379/tcp": "exposed",
                   "8443/tcp": "allowed_unused"}  # 161/udp: UDP was not scanned, not judged


def test_ports_outside_the_scanned_range_are_left_out() -> None:
    outside = report(ServiceProtocol.HOST, "ports.open", {"443/tcp": "https"},
                     "nmap 7.93: TCP SYN scan (-sS) of ports 400-500,8000- with service detection")
    inside = report(ServiceProtocol.INSIDE, "host.listening", {
        "22/tcp": "0.0.0.0 sshd", "443/tcp": "0.0.0.0 nginx", "9000/tcp": "0.0.0.0 php"})
    got = {p.port: p.verdict for p in host_ports(inventory(), [outside, inside])}
    assert got == {"443/tcp": "ok", "8443/tcp": "allowed_unused", "9000/tcp": "filtered"}


def test_nothing_without_both_views() -> None:
    inside = report(ServiceProtocol.INSIDE, "host.listening", {"22/tcp": "0.0.0.0 sshd"})
    assert host_ports(inventory(), [inside]) == ()
    failed = ServiceReport(service=inside.service.model_copy(
        update={"protocol": ServiceProtocol.HOST}), probes=(), facts=(
        Fact(name="ports.open", status=ProbeStatus.ERROR, reason="nmap missing"),))
    assert host_ports(inventory(), [inside, failed]) == ()
