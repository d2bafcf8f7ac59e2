"""Small address helpers shared by the inventory and the probes."""

from __future__ import annotations

import ipaddress


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 literal (a DNS name is not)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
