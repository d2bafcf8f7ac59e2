"""Address helpers: server address[:port] parsing at its edges."""

from __future__ import annotations

import pytest

from scanner.netaddr import is_ip, is_loopback, parse_server


@pytest.mark.parametrize(("text", "expected"), [
    ("203.0.113.53", ("203.0.113.53", 53)),
    ("203.0.113.53:1", ("203.0.113.53", 1)),
    ("203.0.113.53:65535", ("203.0.113.53", 65535)),
    (" 127.0.0.1:5353 ", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[2001:db8::53]", ("2001:db8::53", 53)),
    ("[2001:DB8:0::53]:5353", ("2001:db8::53", 5353)),  # normalised
])
def test_parse_server(text: str, expected: tuple[str, int]) -> None:
    assert parse_server(text, 53) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("203.0.113.53:0", "port out of range (1-65535) in '203.0.113.53:0'"),
    ("203.0.113.53:65536", "port out of range (1-65535) in '203.0.113.53:65536'"),
    ("[::1]:0", "port out of range"),
    ("dns.example", "expected an IP address[:port] like 192.0.2.53 or [2001:db8::53]:5353; got "
                    "'dns.example'"),
    ("foo;id", "got 'foo;id'"),
    ("", "got ''"),
    ("[::1", "got '[::1'"),
    ("203.0.113.53:53:53", "got '203.0.113.53:53:53'"),
    ("203.0.113.53:123456", "got '203.0.113.53:123456'"),
])
def test_parse_server_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_server(text, 53)
    assert message in str(info.value)


def test_default_port_is_the_callers() -> None:
    assert parse_server("203.0.113.53", 5353) == ("203.0.113.53", 5353)
    with pytest.raises(ValueError, match="port out of range"):
        parse_server("203.0.113.53", 0)


def test_is_ip_and_loopback() -> None:
    assert is_ip("203.0.113.5") and is_ip("2001:db8::5") and not is_ip("app.example.test")
    assert not is_ip("")
    assert is_loopback("127.0.0.53") and is_loopback("::1") and not is_loopback("203.0.113.5")
