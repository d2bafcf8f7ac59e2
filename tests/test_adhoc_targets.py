"""Ad-hoc `--target` scans: the whole inventory they build and every refusal, word for word."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scanner.inventory import adhoc_inventory, parse_target
from scanner.models import ServiceProtocol
from scanner.yamlsrc import SourceError

USAGE = "expected HOST:PORT[/PROTOCOL] like 203.0.113.5:443/https; got"


@pytest.mark.parametrize(("text", "message"), [
    ("203.0.113.5", f"{USAGE} '203.0.113.5'"),
    ("203.0.113.5:", f"{USAGE} '203.0.113.5:'"),
    ("[2001:db8::1]443", f"{USAGE} '[2001:db8::1]443'"),
    ("2001:db8::1:443", f"{USAGE} '2001:db8::1:443'"),
    ("203.0.113.5:0", f"port 0 is out of range; {USAGE} '203.0.113.5:0'"),
    ("203.0.113.5:65536", f"port 65536 is out of range; {USAGE} '203.0.113.5:65536'"),
    ("[2001:db8::1]:99999", f"port 99999 is out of range; {USAGE} '[2001:db8::1]:99999'"),
    ("bad_host!:443", f"'bad_host!' is not a valid host; {USAGE} 'bad_host!:443'"),
    ("203.0.113.5:443/gopher", "unknown protocol 'gopher'; expected one of: "
     + ", ".join(p.value for p in ServiceProtocol)),
])
def test_bad_targets_are_refused_word_for_word(text: str, message: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_target(text)
    assert str(info.value) == f"--target:1:1: target: {message}"


@pytest.mark.parametrize(("text", "expected"), [
    ("203.0.113.5:443", ("203.0.113.5", 443, ServiceProtocol.HTTPS)),
    ("203.0.113.5:65535", ("203.0.113.5", 65535, ServiceProtocol.TLS)),
    ("203.0.113.5:1/smtp", ("203.0.113.5", 1, ServiceProtocol.SMTP)),
    ("[2001:DB8:0::1]:993", ("2001:db8::1", 993, ServiceProtocol.IMAPS)),  # normalised
    ("mail.example.test:25", ("mail.example.test", 25, ServiceProtocol.SMTP)),
    ("localhost:8443/https", ("localhost", 8443, ServiceProtocol.HTTPS)),
])
def test_good_targets(text: str, expected: tuple[str, int, ServiceProtocol]) -> None:
    assert parse_target(text) == expected


def test_scope_errors_word_for_word() -> None:
    with pytest.raises(SourceError) as info:
        adhoc_inventory(["203.0.113.5:443"], ["203.0.113.0/33"], None)
    assert str(info.value) == ("--scope:1:1: scope: expected a network in CIDR notation like "
                               "203.0.113.0/24; got '203.0.113.0/33'")
    with pytest.raises(SourceError) as info:
        adhoc_inventory(["203.0.113.5:443", "198.51.100.9:443"], ["203.0.113.0/24"], None)
    assert str(info.value) == ("--target:2:1: target: 198.51.100.9 is outside the scope "
                               "(203.0.113.0/24); pass --scope 198.51.100.9/32 to authorise it")
    with pytest.raises(SourceError) as info:
        adhoc_inventory(["[2001:db8::9]:443"], ["203.0.113.0/24"], None)
    assert str(info.value) == ("--target:1:1: target: 2001:db8::9 is outside the scope "
                               "(203.0.113.0/24); pass --scope 2001:db8::9/128 to authorise it")


def test_host_bits_in_a_scope_are_accepted() -> None:
    inv = adhoc_inventory(["203.0.113.5:443"], ["203.0.113.5/24"], None)
    assert inv.scope == ("203.0.113.0/24",)


def test_default_scope_is_loopback() -> None:
    inv = adhoc_inventory(["127.0.0.1:443"], [], None)
    assert inv.scope == ("127.0.0.0/8", "::1/128")


def _service(host: str, address: str | None, dns: str | None, port: int, protocol: str,
             line: int, companion_ports: list[int] | None = None) -> dict[str, Any]:
    return {"kind": "service", "host": host, "address": address, "dns_name": dns, "port": port,
            "protocol": protocol, "role": None, "clients": None,
            "companion_ports": companion_ports or [], "protected_urls": [], "discovered": False,
            "location": {"file": "rempart-targets.txt", "line": line, "column": 1}}


def test_the_whole_adhoc_inventory() -> None:
    inv = adhoc_inventory(["app.example.test:443", "203.0.113.7:25", "app.example.test:8443",
                           "203.0.113.8:443", "203.0.113.8:80/http"],
                          ["203.0.113.0/24"], dt.date(2027, 6, 30))
    data = inv.model_dump(mode="json")
    assert data["path"] is None and data["scope"] == ["203.0.113.0/24"]
    assert data["contract"] == {"customer": "ad-hoc scan", "end_date": "2027-06-30"}
    hosts = data["hosts"]
    assert [h["name"] for h in hosts] == [f"target{i}" for i in range(1, 6)]
    assert [(h["address"], h["dns_name"], h["role"]) for h in hosts] == [
        (None, "app.example.test", None), ("203.0.113.7", None, None),
        (None, "app.example.test", None), ("203.0.113.8", None, None),
        ("203.0.113.8", None, None)]
    assert [h["location"] for h in hosts] == [
        {"file": "rempart-targets.txt", "line": i, "column": 1} for i in range(1, 6)]
    assert hosts[0]["services"] == [  # port 80 once, beside the first HTTPS target of a host
        _service("target1", None, "app.example.test", 443, "https", 1),
        _service("target1", None, "app.example.test", 80, "http", 1,
                 [443, 8443])]  # the host's other TLS ports
    assert hosts[1]["services"] == [_service("target2", "203.0.113.7", None, 25, "smtp", 2)]
    assert hosts[2]["services"] == [
        _service("target3", None, "app.example.test", 8443, "https", 3)]
    # a target that names port 80 itself gets no second port-80 subject
    assert [s["port"] for s in hosts[3]["services"]] == [443]
    assert [s["port"] for s in hosts[4]["services"]] == [80]


@pytest.mark.parametrize(("targets", "message"), [
    (["203.0.113.5:443", "203.0.113.6"], "--target:2:1: target: expected HOST:PORT[/PROTOCOL] "
     "like 203.0.113.5:443/https; got '203.0.113.6'"),
    (["203.0.113.5:443", "203.0.113.6:25", "203.0.113.7:443/gopher"],
     "--target:3:1: target: unknown protocol 'gopher'; expected one of: "
     + ", ".join(p.value for p in ServiceProtocol)),
    (["203.0.113.5:443", "203.0.113.6:70000"], "--target:2:1: target: port 70000 is out of "
     "range; expected HOST:PORT[/PROTOCOL] like 203.0.113.5:443/https; got '203.0.113.6:70000'"),
    (["203.0.113.5:443", "bad_host!:443"], "--target:2:1: target: 'bad_host!' is not a valid "
     "host; expected HOST:PORT[/PROTOCOL] like 203.0.113.5:443/https; got 'bad_host!:443'"),
    (["203.0.113.5:443", "203.0.113.6:443/host"], "--target:2:1: target: 'host' is not a "
     "service protocol (hosts, flows and SPF domains come from an inventory); expected one of: "
     + ", ".join(p.value for p in ServiceProtocol if p.network_service)),
])
def test_a_bad_target_is_named_by_its_position(targets: list[str], message: str) -> None:
    """The second or third --target is named as such, not as the first."""
    with pytest.raises(SourceError) as info:
        adhoc_inventory(targets, ["203.0.113.0/24"], None)
    assert str(info.value) == message
