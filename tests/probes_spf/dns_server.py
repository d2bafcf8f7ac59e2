"""A real DNS server on 127.0.0.1 (UDP and TCP on one random port) serving a test zone.

Names in `silent` get no answer at all (the query is dropped), names in `servfail` get SERVFAIL;
UDP answers over 512 bytes are truncated so the client must retry over TCP. Every query is logged.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord  # type: ignore[import-untyped]
from dnslib.dns import DNSError  # type: ignore[import-untyped]
from dnslib.server import (  # type: ignore[import-untyped]
    BaseResolver,
    DNSHandler,
    DNSLogger,
    DNSServer,
)

Zone = Mapping[str, list[tuple[str, str]]]  # name -> [(type, value)]; MX value "10 host"


@dataclass(frozen=True)
class Query:
    name: str
    rtype: str
    protocol: str  # udp / tcp


class _Truncating(DNSHandler):  # type: ignore[misc]
    """Over 512 bytes on UDP (RFC 1035, no EDNS): the question alone, with TC set."""

    def get_reply(self, data: bytes) -> bytes:
        full: bytes = super().get_reply(data)
        if self.protocol != "udp" or len(full) <= 512:
            return full
        reply = DNSRecord.parse(data).reply()  # dnslib's truncate() drops the question
        reply.header.tc = 1
        out: bytes = reply.pack()
        return out


def _rdata(rtype: str, value: str) -> Any:
    if rtype == "TXT":  # strings of at most 255 bytes
        return TXT([value[i:i + 255] for i in range(0, len(value), 255)])
    if rtype == "MX":
        pref, host = value.split()
        return MX(host, int(pref))
    return {"A": A, "AAAA": AAAA}[rtype](value)


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: Zone, silent: Iterable[str], servfail: Iterable[str]) -> None:
        self.zone = {k.lower(): v for k, v in zone.items()}
        self.silent, self.servfail = set(silent), set(servfail)
        self.queries: list[Query] = []
        self.lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        name = str(request.q.qname).rstrip(".").lower()
        rtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries.append(Query(name, rtype, handler.protocol))
        if name in self.silent:
            raise DNSError("dropped on purpose")  # the handler then sends nothing
        reply = request.reply()
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
        elif name not in self.zone:
            reply.header.rcode = RCODE.NXDOMAIN
        for t, value in self.zone.get(name, []):
            if t == rtype:
                reply.add_answer(RR(name, getattr(QTYPE, t), rdata=_rdata(t, value), ttl=60))
        return reply


class LocalDnsServer:
    """Start with `start()`, point resolvers at `address`, read `queries`, then `stop()`."""

    def __init__(self, zone: Zone, silent: Iterable[str] = (),
                 servfail: Iterable[str] = ()) -> None:
        self.resolver = ZoneResolver(zone, silent, servfail)
        self.servers: list[Any] = []
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def queries(self) -> list[Query]:
        with self.resolver.lock:
            return list(self.resolver.queries)

    def clear(self) -> None:
        with self.resolver.lock:
            self.resolver.queries.clear()

    def start(self) -> LocalDnsServer:
        quiet = DNSLogger(logf=lambda *_: None)
        for _ in range(20):  # the TCP side may find the UDP port taken
            udp = DNSServer(self.resolver, address="127.0.0.1", port=0, logger=quiet,
                            handler=_Truncating)
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(self.resolver, address="127.0.0.1", port=port, tcp=True,
                                logger=quiet)
            except OSError:
                udp.server.server_close()
                continue
            self.servers, self.port = [udp, tcp], port
            for s in self.servers:
                s.start_thread()
            return self
        raise RuntimeError("no free UDP+TCP port pair on 127.0.0.1")

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
            s.server.server_close()


def free_udp_port() -> int:
    """A loopback UDP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
