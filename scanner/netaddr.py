"""Small address helpers shared by the inventory and the probes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def in_scope(address: str, scope: Sequence[Network | str]) -> bool:
    """The scope guard: the address lies in one of the networks, of its own IP version."""
    ip = ipaddress.ip_address(address)
    nets = [ipaddress.ip_network(n) if isinstance(n, str) else n for n in scope]
    return any(ip.version == n.version and ip in n for n in nets)


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 literal (a DNS name is not)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_server(text: str, default_port: int) -> tuple[str, int]:
    """"192.0.2.53", "127.0.0.1:5353", "::1" or "[::1]:5353" -> (address, port).

    Raises ValueError with what was expected.
    """
    m = re.fullmatch(r"\[([^\]]+)\](?::(\d{1,5}))?|([^:\[\]]+)(?::(\d{1,5}))?|([^\[\]]+)",
                     text.strip())
    if m is None or not is_ip(addr := m.group(1) or m.group(3) or m.group(5)):
        raise ValueError(f"expected an IP address[:port] like 192.0.2.53 or [2001:db8::53]:5353;"
                         f" got {text!r}")
    port = int(m.group(2) or m.group(4) or default_port)
    if not 0 < port < 65536:
        raise ValueError(f"port out of range (1-65535) in {text!r}")
    return str(ipaddress.ip_address(addr)), port


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback
