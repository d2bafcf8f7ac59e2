"""Inventories: strict loading with file:line errors, ad-hoc targets, the scope guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory import adhoc_inventory, load_inventory, parse_target
from scanner.models import (
    ExposedHost,
    LocalVantage,
    MailDomain,
    RequiredFlow,
    ServiceProtocol,
    Vantage,
    ZonePair,
)
from scanner.yamlsrc import SourceError

GOOD = """\
rempart: 1
contract: {customer: Clinique Exemple, end_date: 2027-06-30}
scope: [192.0.2.0/24, "2001:db8::/32"]
hosts:
  - name: front
    address: 192.0.2.10
    dns_name: app.example.test
    role: presentation
    services:
      - {port: 443, protocol: https}
      - {port: 25, protocol: smtp}
  - name: v6
    address: "2001:db8::5"
    services:
      - {port: 993, protocol: imaps}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


NETWORK = """\
roles:
  presentation: {allowed_ports: [443/tcp, 80/tcp]}
  mail: {allowed_ports: [25/tcp]}
vantages:
  bastion: {address: 192.0.2.5, user: scan, key_file: /k, known_hosts: /kh}
zones:
  users: {vantage: local}
  admins: {vantage: bastion}
  front: {hosts: [front], vantage: local}
  dmz: {hosts: [v6]}
flows:
  - {from: users, to: front, port: 443/tcp}
mail:
  dns_server: 127.0.0.1:5353
  sending_domains:
    - {domain: clinique.example, ips: [192.0.2.25]}
"""


def test_network_subjects(tmp_path: Path) -> None:
    text = GOOD.replace("  - name: v6\n    address", "  - name: v6\n    role: mail\n    address")
    inv = load_inventory(write(tmp_path, text + NETWORK))
    host = inv.hosts[0].exposure
    assert isinstance(host, ExposedHost) and host.key == "front/ports"
    assert host.allowed_ports == ("443/tcp", "80/tcp")
    assert host.references()["role.allowed_ports"] == ("443/tcp", "80/tcp")
    flows = {s.host: s for s in inv.subjects if isinstance(s, ZonePair)}
    # dmz has no vantage point: flows from it are not tested; flows to it are
    assert set(flows) == {"users->front", "admins->front", "users->dmz", "admins->dmz",
                          "front->dmz"}
    assert flows["users->front"].required == (RequiredFlow(host="front", port=443),)
    assert flows["users->front"].references() == {"flow.required": ("front:443/tcp",)}
    assert flows["admins->front"].required == ()
    bastion = flows["admins->front"].vantage
    assert isinstance(bastion, Vantage) and bastion.name == "bastion"
    assert bastion.address == "192.0.2.5" and bastion.port == 22
    assert isinstance(flows["users->front"].vantage, LocalVantage)
    assert 5432 in flows["users->front"].ports
    assert [d.host for d in flows["users->front"].destinations] == ["front"]
    spf = next(s for s in inv.subjects if isinstance(s, MailDomain))
    assert spf.key == "clinique.example/spf" and spf.ips == ("192.0.2.25",)
    assert inv.dns_server == "127.0.0.1:5353"


def test_network_errors(tmp_path: Path) -> None:
    text = GOOD.replace("  - name: v6\n    address", "  - name: v6\n    role: mail\n    address")
    bad = NETWORK.replace("to: front", "to: backend")
    path = write(tmp_path, text + bad)
    with pytest.raises(SourceError, match=r":28:23: flows\[0\]\.to: unknown zone 'backend'"):
        load_inventory(path)
    path = write(tmp_path, GOOD + NETWORK)
    with pytest.raises(SourceError, match=r":12:5: hosts\[1\]: expected a 'role'"):
        load_inventory(path)


def test_good_inventory(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, GOOD))
    assert inv.contract.end_date is not None and inv.contract.end_date.isoformat() == "2027-06-30"
    front = inv.hosts[0]
    # port 80 is added beside HTTPS so that REQ-NET-04 ("port 80, where open") is checked
    assert [s.key for s in front.services] == ["front:443/https", "front:25/smtp",
                                               "front:80/http"]
    smtp = front.services[1]
    assert smtp.location is not None and smtp.location.line == 11
    assert smtp.protocol is ServiceProtocol.SMTP and smtp.dns_name == "app.example.test"


CASES = [
    (GOOD.replace("192.0.2.10", "198.51.100.7"), "6:14: hosts[0].address: 198.51.100.7 is outside "
     "the declared scope (192.0.2.0/24, 2001:db8::/32); add its network to 'scope'"),
    (GOOD.replace("protocol: smtp", "protocol: smtq"), "11:30: hosts[0].services[1].protocol: "
     "expected one of: https, tls, smtp, smtps, imap, imaps, pop3, pop3s, http, ssh, "
     "submission, ftp, ftps, ldap, xmpp, postgresql; got 'smtq'"),
    (GOOD.replace("port: 443", "port: 70000"), "10:16: hosts[0].services[0].port: expected a "
     "number at most 65535; got 70000"),
    (GOOD.replace("192.0.2.0/24", "192.0.2.0/33"), "3:9: scope[0]: expected a network in CIDR "
     "notation like 203.0.113.0/24; got '192.0.2.0/33'"),
    (GOOD.replace("address: 192.0.2.10", "address: app.example.test"), "6:14: hosts[0].address: "
     "expected an IPv4 or IPv6 address; got 'app.example.test'"),
    (GOOD.replace("end_date: 2027-06-30", "end_date: next year"), "2:50: contract.end_date: "
     "expected a date like 2027-06-30; got 'next year'"),
    (GOOD.replace("name: v6", "name: front"), "12:11: hosts[1].name: duplicate host name 'front'"),
    (GOOD.replace("    role: presentation\n", "    rôle: presentation\n"),
     "8:5: hosts[0].rôle: unknown field 'rôle'; expected one of: address, dns_name, inside, "
     "name, role, services"),
    (GOOD.replace("contract: {customer: Clinique Exemple, end_date: 2027-06-30}\n", ""),
     "1:1: (document): missing required field 'contract'"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[1].split(": ")[1] for c in CASES])
def test_inventory_error_message(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as info:
        load_inventory(path)
    assert str(info.value).startswith(f"{path}:{expected}"), str(info.value)


def test_cli_inventory_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["inventory", "validate", str(write(tmp_path, GOOD))])
    assert ok.exit_code == 0 and "2 hosts, 4 services" in ok.output
    bad = runner.invoke(main, ["inventory", "validate",
                               str(write(tmp_path, GOOD.replace("port: 443", "port: x")))])
    assert bad.exit_code == 2 and "hosts[0].services[0].port: expected an integer" in bad.output
    assert "Traceback" not in bad.output


def test_parse_target() -> None:
    assert parse_target("203.0.113.5:443") == ("203.0.113.5", 443, ServiceProtocol.HTTPS)
    assert parse_target("[2001:db8::1]:25") == ("2001:db8::1", 25, ServiceProtocol.SMTP)
    assert parse_target("mail.example.test:2525/smtp")[2] is ServiceProtocol.SMTP
    with pytest.raises(SourceError, match="expected HOST:PORT"):
        parse_target("203.0.113.5")


def test_adhoc_targets_outside_scope_are_refused() -> None:
    with pytest.raises(SourceError, match=r"198\.51\.100\.9 is outside the scope \(127\.0\.0\.0/8"
                       r", ::1/128\); pass --scope 198\.51\.100\.9/32"):
        adhoc_inventory(["198.51.100.9:443"], [], None)
    inv = adhoc_inventory(["198.51.100.9:443"], ["198.51.100.0/24"], None)
    svc = inv.hosts[0].services[0]
    assert svc.location is not None and svc.location.file == "rempart-targets.txt"


def test_cli_scan_refuses_out_of_scope_target_without_traffic() -> None:
    out = CliRunner().invoke(main, ["scan", "--target", "198.51.100.9:443", "-q"])
    assert out.exit_code == 2
    assert "outside the scope" in out.output and "Traceback" not in out.output


@pytest.mark.parametrize(("targets", "keys"), [
    (["127.0.0.1:443"], ["target1:443/https", "target1:80/http"]),
    (["127.0.0.1:443", "127.0.0.1:8443/https"],
     ["target1:443/https", "target1:80/http", "target2:8443/https"]),
    (["127.0.0.1:443", "127.0.0.1:80"], ["target1:443/https", "target2:80/http"]),
    (["127.0.0.1:443", "127.0.0.2:443"],
     ["target1:443/https", "target1:80/http", "target2:443/https", "target2:80/http"]),
    (["127.0.0.1:25"], ["target1:25/smtp"]),
])
def test_adhoc_https_targets_get_port_80_once_per_host(targets: list[str],
                                                       keys: list[str]) -> None:
    inv = adhoc_inventory(targets, [], None)
    assert [s.key for s in inv.all_subjects()] == keys
    for host in inv.hosts:  # the added port 80 points at the line of its https target
        added = [s for s in host.services if s.port == 80 and s.companion_ports]
        assert all(s.location == host.services[0].location for s in added)
    if targets[1:] == ["127.0.0.1:8443/https"]:
        assert inv.hosts[0].services[1].companion_ports == (443, 8443)


INTERNAL = """\
rempart: 1
contract: {customer: Zones}
scope: [203.0.113.0/24]
vantages:
  bastion: {address: 203.0.113.5, user: scan, key_file: /k, known_hosts: /kh}
  jump: {address: 203.0.113.6, user: scan, key_file: /k, known_hosts: /kh}
zones:
  users: {vantage: local}
  admins: {vantage: bastion}
  edition: {hosts: [edit1], vantage: jump}
  quiet: {}
  web: {hosts: [web1, api1]}
flows:
  - {from: admins, to: web, port: 443/tcp}
  - {from: users, to: web, port: 443/tcp}
  - {from: edition, to: web, port: 8443/tcp}
  - {from: admins, to: edition, port: 443/tcp}
hosts:
  - name: web1
    address: 203.0.113.10
    services: [{port: 443, protocol: https}]
  - name: api1
    address: 203.0.113.11
    services: [{port: 8443, protocol: https}, {port: 993, protocol: imaps}]
  - name: edit1
    address: 203.0.113.12
    services: [{port: 443, protocol: https}, {port: 465, protocol: smtps, clients: admins}]
"""


def test_services_are_probed_from_their_clients_zone(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, INTERNAL))
    where = {s.key: (s.clients.zone, s.clients.vantage.name) if s.clients else None
             for h in inv.hosts for s in h.services}
    assert where == {
        "web1:443/https": ("users", "local"),  # users and admins: the scanner wins
        "web1:80/http": ("users", "local"),  # port 80 goes where its HTTPS goes
        "api1:8443/https": ("edition", "jump"),
        "api1:80/http": ("edition", "jump"),
        "api1:993/imaps": None,  # no flow declared to it: from here
        "edit1:443/https": ("admins", "bastion"),
        "edit1:80/http": ("admins", "bastion"),
        "edit1:465/smtps": ("admins", "bastion"),  # named
    }
    jump = inv.hosts[1].services[0].clients
    assert jump is not None and isinstance(jump.vantage, Vantage)
    assert (jump.vantage.address, jump.vantage.user) == ("203.0.113.6", "scan")


@pytest.mark.parametrize(("clients", "error"), [
    ("nowhere", "hosts[2].services[1].clients: unknown zone 'nowhere'; expected one of: users"),
    ("quiet", "hosts[2].services[1].clients: zone 'quiet' has no vantage to probe from"),
])
def test_clients_must_name_a_zone_with_a_vantage(tmp_path: Path, clients: str,
                                                 error: str) -> None:
    with pytest.raises(SourceError) as err:
        load_inventory(write(tmp_path, INTERNAL.replace("clients: admins",
                                                        f"clients: {clients}")))
    assert error in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'inventory.yaml'}:")
