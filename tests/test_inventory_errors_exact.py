"""Inventories: every refusal of the validator word for word (file:line:column: field: what was
expected), and every part of a loaded inventory where the validator put it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scanner.inventory import adhoc_inventory, load_inventory, parse_target
from scanner.models import ServiceProtocol, SourceLocation
from scanner.yamlsrc import SourceError

BASE = """\
rempart: 1
contract: {customer: Clinique Exemple, end_date: 2027-06-30}
scope: [203.0.113.0/24, "2001:db8::/32"]
hosts:
  - name: front
    address: 203.0.113.10
    dns_name: app.example.test
    services:
      - {port: 443, protocol: https}
  - name: back
    address: 203.0.113.11
    services:
      - {port: 5432, protocol: postgresql}
"""
NAME_ONLY = BASE.replace("    address: 203.0.113.10\n", "")

CASES = [
    (BASE.replace("2001:db8::/32", "2001:db8::/129"), "3:25: scope[1]: expected a network in "
     "CIDR notation like 203.0.113.0/24; got '2001:db8::/129'"),
    (BASE.replace("    address: 203.0.113.11\n", ""),
     "10:5: hosts[1]: expected 'address', 'dns_name' or both"),
    (BASE.replace("    address: 203.0.113.11\n", "    dns_name: db..example.test\n"),
     "11:15: hosts[1].dns_name: expected a DNS name like app.example.com; got "
     "'db..example.test'"),
    # an address is not a name, even though it is made of valid DNS labels
    (BASE.replace("    address: 203.0.113.11\n", "    dns_name: 203.0.113.11\n"),
     "11:15: hosts[1].dns_name: expected a DNS name like app.example.com; got '203.0.113.11'"),
    (BASE.replace("203.0.113.11", "198.51.100.11"), "11:14: hosts[1].address: 198.51.100.11 is "
     "outside the declared scope (203.0.113.0/24, 2001:db8::/32); add its network to 'scope' to "
     "authorise scanning it"),
    (BASE.replace("203.0.113.11", "back.example.test"), "11:14: hosts[1].address: expected an "
     "IPv4 or IPv6 address; got 'back.example.test' (put host names under 'dns_name')"),
    (BASE.replace("203.0.113.11", "203.0.113.10").replace("5432, protocol: postgresql",
                                                          "443, protocol: https"),
     "13:16: hosts[1].services[0].port: 203.0.113.10:443 is already declared (host front)"),
    # a host known by name only is keyed by its name
    (NAME_ONLY.replace("    address: 203.0.113.11\n", "    dns_name: app.example.test\n")
     .replace("5432, protocol: postgresql", "443, protocol: tls"),
     "12:16: hosts[1].services[0].port: app.example.test:443 is already declared (host front)"),
    (BASE.replace("      - {port: 5432, protocol: postgresql}\n",
                  "      - {port: 5432, protocol: postgresql}\n"
                  "      - {port: 5432, protocol: tls}\n"),
     "14:16: hosts[1].services[1].port: 203.0.113.11:5432 is already declared (host back)"),
    (BASE.replace("name: back", "name: front"), "10:11: hosts[1].name: duplicate host name "
     "'front'"),
    (BASE.replace("end_date: 2027-06-30", "end_date: 2027-02-30"), "2:50: contract.end_date: "
     "expected a date like 2027-06-30; got '2027-02-30'"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[1].split(": ")[1][:50]
                                                           for c in CASES])
def test_inventory_refused_word_for_word(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_inventory(path)
    assert str(info.value) == f"{path}:{expected}"


def test_name_and_address_are_both_kept(tmp_path: Path) -> None:
    """Distinct hosts may share a port; a scope written with host bits is its network."""
    path = tmp_path / "inventory.yaml"
    path.write_text(BASE.replace("203.0.113.0/24", "203.0.113.77/24")
                    .replace("5432, protocol: postgresql", "443, protocol: tls"))
    inv = load_inventory(path)
    assert inv.scope == ("203.0.113.0/24", "2001:db8::/32")
    assert [s.key for h in inv.hosts for s in h.services] == [
        "front:443/https", "front:80/http", "back:443/tls"]


FULL = """\
rempart: 1
contract: {customer: Clinique Exemple}
scope: [203.0.113.0/24]
roles:
  web:
    allowed_ports: [443/tcp, 80/tcp]
  db: {allowed_ports: [5432/tcp], allowed_services: [postgresql]}
vantages:
  bastion: {address: 203.0.113.5, user: scan, key_file: /k, known_hosts: /kh}
zones:
  users: {vantage: local}
  admins: {vantage: bastion}
  dmz: {hosts: [front]}
  data: {hosts: [back]}
flows:
  - {from: users, to: dmz, port: 443/tcp}
  - {from: admins, to: data, port: 5432/tcp}
mail:
  dns_server: 127.0.0.1:5353
  sending_domains:
    - {domain: clinique.example, ips: [203.0.113.25]}
operations:
  scan_interval_days: 14
hosts:
  - name: front
    address: 203.0.113.10
    dns_name: app.example.test
    role: web
    services:
      - {port: 443, protocol: https, protected_urls: [/admin, /metrics]}
      - {port: 8443, protocol: https}
  - name: back
    address: 203.0.113.11
    role: db
    inside: {user: dba, port: 2222, key_file: /k2, known_hosts: /kh2, sudo: [firewall]}
    services:
      - {port: 5432, protocol: postgresql}
  - name: named
    dns_name: www.example.test
    role: web
    services:
      - {port: 443, protocol: https}
"""
ROLE = "    allowed_ports: [443/tcp, 80/tcp]\n"
INSIDE = "    inside: {user: audit, known_hosts: /etc/rempart/known_hosts, agent: true}\n"


def test_every_part_of_a_full_inventory(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(FULL)
    inv = load_inventory(path, display="estate.yaml")
    assert inv.path == "estate.yaml" and inv.contract.end_date is None
    assert inv.roles == {"web": ("443/tcp", "80/tcp"), "db": ("5432/tcp",)}
    assert [z.name for z in inv.zones] == ["users", "admins", "dmz", "data"]
    assert {f.source for f in inv.flows} == {"users", "admins"}
    assert [v.name for v in inv.vantages] == ["bastion"]
    assert [d.domain for d in inv.sending_domains] == ["clinique.example"]
    assert inv.dns_server == "127.0.0.1:5353"
    assert inv.operations.scan_interval_days == 14
    assert [(a.host, a.address, a.port, a.user) for a in inv.ssh_access] == [
        ("back", "203.0.113.11", 2222, "dba")]

    front, back, named = inv.hosts
    assert [(h.name, h.address, h.dns_name, h.role, h.location) for h in inv.hosts] == [
        ("front", "203.0.113.10", "app.example.test", "web",
         SourceLocation(file="estate.yaml", line=25, column=5)),
        ("back", "203.0.113.11", None, "db", SourceLocation(file="estate.yaml", line=32,
                                                            column=5)),
        ("named", None, "www.example.test", "web", SourceLocation(file="estate.yaml", line=38,
                                                                  column=5))]
    # the declared services: where they are written, their role, what the rules may read
    # (the probes' zone and vantage are the network part's: tests/test_inventory.py)
    declared = [(s.host, s.address, s.dns_name, s.port, s.protocol, s.role, s.location.line
                 if s.location else None, s.references())
                for h in inv.hosts for s in h.services if s.port != 80]
    assert declared == [
        ("front", "203.0.113.10", "app.example.test", 443, ServiceProtocol.HTTPS, "web", 30,
         {"http.protected_urls": ("/admin", "/metrics"), "host.address": ("203.0.113.10",)}),
        ("front", "203.0.113.10", "app.example.test", 8443, ServiceProtocol.HTTPS, "web", 31,
         {"host.address": ("203.0.113.10",)}),
        ("back", "203.0.113.11", None, 5432, ServiceProtocol.POSTGRESQL, "db", 37, {}),
        ("named", None, "www.example.test", 443, ServiceProtocol.HTTPS, "web", 42, {})]
    # the host subjects and port 80 carry the host's address and name
    added = [(s.key, s.address, s.dns_name) for h in inv.hosts
             for s in ([h.exposure] if h.exposure else []) + [
                 s for s in h.services if s.protocol is ServiceProtocol.HTTP]]
    assert added == [
        ("front/ports", "203.0.113.10", "app.example.test"),
        ("front:80/http", "203.0.113.10", "app.example.test"),
        ("back/ports", "203.0.113.11", None),
        ("named/ports", None, "www.example.test"),
        ("named:80/http", None, "www.example.test")]
    # port 80 stands for its host: the host's role, and the host's place in the file
    assert [(s.key, s.role, s.location) for h in inv.hosts for s in h.services
            if s.protocol is ServiceProtocol.HTTP] == [
        ("front:80/http", "web", SourceLocation(file="estate.yaml", line=25, column=5)),
        ("named:80/http", "web", SourceLocation(file="estate.yaml", line=38, column=5))]
    inside = [h.inside for h in inv.hosts if h.inside is not None]
    assert [(s.host, s.address, s.role, s.location) for s in inside] == [
        ("back", "203.0.113.11", "db", SourceLocation(file="estate.yaml", line=35, column=13))]
    assert inside[0].references() == {"role.allowed_ports": ("5432/tcp",)}
    assert (front.services[-1].protocol, back.inside is not None) == (ServiceProtocol.HTTP, True)
    assert named.services[-1].protocol is ServiceProtocol.HTTP
    assert [h.subjects()[-1].key for h in inv.hosts] == [
        "front/ports", "back/inside", "named/ports"]


def test_inside_from_a_role_needs_an_address(tmp_path: Path) -> None:
    """The role's `inside` applies to a host known by name only, which has no address."""
    path = tmp_path / "inventory.yaml"
    path.write_text(FULL.replace(ROLE, ROLE + INSIDE))
    with pytest.raises(SourceError) as info:
        load_inventory(path)
    assert str(info.value) == (f"{path}:39:5: hosts[2]: expected an 'address' for the host "
                               "checks (they log in to an address, never to a name)")


def test_inside_from_a_role(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(FULL.replace(ROLE, ROLE + INSIDE).replace("    dns_name: www.example.test\n",
                                                              "    address: 203.0.113.12\n"))
    inv = load_inventory(path)
    inside = {h.inside.host: h.inside for h in inv.hosts if h.inside is not None}
    assert [(s.host, s.address, s.dns_name, s.role) for s in inside.values()] == [
        ("front", "203.0.113.10", "app.example.test", "web"),
        ("back", "203.0.113.11", None, "db"),
        ("named", "203.0.113.12", None, "web")]
    assert inside["front"].location == SourceLocation(file=str(path), line=7, column=13)
    assert inside["front"].references() == {"role.allowed_ports": ("443/tcp", "80/tcp")}
    assert [(a.host, a.user, a.agent) for a in inv.ssh_access] == [
        ("front", "audit", True), ("back", "dba", False), ("named", "audit", True)]


NOT_SERVICES = [p.value for p in ServiceProtocol if not p.network_service]


@pytest.mark.parametrize("protocol", NOT_SERVICES)
def test_a_target_must_be_a_network_service(protocol: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_target(f"203.0.113.5:443/{protocol}")
    services = ", ".join(p.value for p in ServiceProtocol if p.network_service)
    assert str(info.value) == (
        f"--target:1:1: target: '{protocol}' is not a service protocol (hosts, flows and SPF "
        f"domains come from an inventory); expected one of: {services}")


def test_adhoc_port_80_carries_the_address() -> None:
    inv = adhoc_inventory(["203.0.113.8:443", "[2001:db8::8]:443"],
                          ["203.0.113.0/24", "2001:db8::/32"], dt.date(2027, 6, 30))
    assert [(s.key, s.address, s.dns_name, s.location) for h in inv.hosts
            for s in h.services] == [
        ("target1:443/https", "203.0.113.8", None, SourceLocation(file="rempart-targets.txt",
                                                                  line=1)),
        ("target1:80/http", "203.0.113.8", None, SourceLocation(file="rempart-targets.txt",
                                                                line=1)),
        ("target2:443/https", "2001:db8::8", None, SourceLocation(file="rempart-targets.txt",
                                                                  line=2)),
        ("target2:80/http", "2001:db8::8", None, SourceLocation(file="rempart-targets.txt",
                                                                line=2))]
