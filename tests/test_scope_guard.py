"""The scope guard: every address the scan would send traffic to is refused outside the scope.

Hosts, ad-hoc targets, SSH vantages and DNS resolvers, over IPv4 and IPv6, at the edges of the
declared networks; names resolved at scan time are covered in test_scan_cli.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory import adhoc_inventory, load_inventory
from scanner.netaddr import in_scope
from scanner.yamlsrc import SourceError

SCOPE = '[203.0.113.0/24, "2001:db8:1::/48"]'


def inventory(tmp_path: Path, address: str, extra: str = "") -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(f"""\
rempart: 1
contract: {{customer: Scope test}}
scope: {SCOPE}
hosts:
  - name: web
    address: "{address}"
    services:
      - {{port: 443, protocol: https}}
{extra}""")
    return path


@pytest.mark.parametrize("address", [
    "203.0.113.0", "203.0.113.255",  # first and last address of the network
    "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff",
])
def test_edges_of_the_scope_are_inside(tmp_path: Path, address: str) -> None:
    assert load_inventory(inventory(tmp_path, address)).hosts[0].address == address


@pytest.mark.parametrize("address", [
    "203.0.112.255", "203.0.114.0",  # one address beyond either edge
    "198.51.100.7", "127.0.0.1",  # loopback is not in scope unless declared
    "2001:db8:2::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff", "::1",
    "::ffff:203.0.113.5",  # an IPv4-mapped IPv6 address is IPv6: the IPv4 network does not admit it
])
def test_addresses_outside_the_scope_are_refused(tmp_path: Path, address: str) -> None:
    with pytest.raises(SourceError, match=r"hosts\[0\]\.address: .* is outside the declared scope"):
        load_inventory(inventory(tmp_path, address))


def test_one_family_never_admits_the_other() -> None:
    assert not in_scope("2001:db8::1", ["0.0.0.0/0"])
    assert not in_scope("203.0.113.1", ["::/0"])
    assert in_scope("2001:db8::1", ["::/0"]) and in_scope("203.0.113.1", ["0.0.0.0/0"])


@pytest.mark.parametrize(("target", "scope", "refused"), [
    ("[2001:db8:2::9]:443", "2001:db8:1::/48", "2001:db8:2::9"),
    ("[::1]:443", "2001:db8:1::/48", "::1"),
    ("203.0.113.9:443", "2001:db8::/32", "203.0.113.9"),
])
def test_adhoc_targets_outside_the_scope_are_refused(target: str, scope: str,
                                                     refused: str) -> None:
    with pytest.raises(SourceError, match=f"{refused} is outside the scope"):
        adhoc_inventory([target], [scope], None)


def test_adhoc_ipv6_target_inside_the_scope() -> None:
    inv = adhoc_inventory(["[2001:db8:1::9]:443"], ["2001:db8:1::/48"], None)
    assert inv.hosts[0].address == "2001:db8:1::9"


VANTAGE = """\
vantages:
  bastion: {{address: "{address}", user: scan, key_file: /k, known_hosts: /kh}}
"""


@pytest.mark.parametrize("address", ["198.51.100.5", "2001:db8:2::5", "127.0.0.1"])
def test_vantage_outside_the_scope_is_refused(tmp_path: Path, address: str) -> None:
    path = inventory(tmp_path, "203.0.113.10", VANTAGE.format(address=address))
    with pytest.raises(SourceError, match=r"vantages\.bastion\.address: .* is outside the "
                                          r"declared scope"):
        load_inventory(path)


@pytest.mark.parametrize("address", ["203.0.113.5", "2001:db8:1::5"])
def test_vantage_inside_the_scope(tmp_path: Path, address: str) -> None:
    path = inventory(tmp_path, "203.0.113.10", VANTAGE.format(address=address))
    assert load_inventory(path).vantages[0].address == address


MAIL = """\
mail:
  dns_server: "{server}"
  sending_domains:
    - {{domain: example.test, ips: [203.0.113.25]}}
"""


@pytest.mark.parametrize("server", ["203.0.113.53", "[2001:db8:1::53]:5353", "127.0.0.1:5353",
                                    "::1"])
def test_dns_server_on_loopback_or_in_scope(tmp_path: Path, server: str) -> None:
    path = inventory(tmp_path, "203.0.113.10", MAIL.format(server=server))
    assert load_inventory(path).dns_server == server


@pytest.mark.parametrize(("server", "message"), [
    ("198.51.100.53", "198.51.100.53 is outside the declared scope"),
    ("[2001:db8:2::53]:53", "2001:db8:2::53 is outside the declared scope"),
    ("foo;id", "expected an IP address[:port]"),
    ("203.0.113.53:0", "port out of range"),
])
def test_dns_server_outside_the_scope_is_refused(tmp_path: Path, server: str,
                                                 message: str) -> None:
    path = inventory(tmp_path, "203.0.113.10", MAIL.format(server=server))
    with pytest.raises(SourceError) as info:
        load_inventory(path)
    assert f"mail.dns_server: {message}" in str(info.value)


def test_dns_server_option_outside_the_scope_is_refused(tmp_path: Path) -> None:
    path = inventory(tmp_path, "203.0.113.10")
    out = CliRunner().invoke(main, ["scan", str(path), "--dns-server", "198.51.100.53", "-q"])
    assert out.exit_code == 2, out.output
    assert "--dns-server 198.51.100.53 is outside the scope" in out.output
    assert "Traceback" not in out.output
    bad = CliRunner().invoke(main, ["scan", str(path), "--dns-server", "dns.example", "-q"])
    assert bad.exit_code == 2 and "expected an IP address[:port]" in bad.output
