"""Read an SSH server's identification string and its KEXINIT, and nothing more.

Hand-written (about 80 lines) rather than paramiko's Transport: paramiko negotiates and keeps
only the algorithms it supports itself, so a server's weak offers (diffie-hellman-group1-sha1,
3des-cbc, hmac-md5 ...) would be invisible; RFC 4253 makes the unencrypted KEXINIT trivial to
read, and this costs one connection for every algorithm list.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from scanner.models import ReasonCategory
from scanner.probes.base import ProbeFailure, os_error_category

CLIENT_IDENT = b"SSH-2.0-rempart_audit\r\n"
MAX_PRE_BANNER = 16 * 1024  # bytes of "other lines" a server may send before its SSH- line
MAX_LINE = 255  # RFC 4253 4.2: the identification line, CR LF included
MAX_PACKET = 35000  # RFC 4253 6.1: the largest packet an implementation must accept
MSG_KEXINIT = 20
LISTS = ("kex", "host_key", "cipher_c2s", "cipher_s2c", "mac_c2s", "mac_s2c",
         "compression_c2s", "compression_s2c")


@dataclass(frozen=True)
class KexInit:
    kex: tuple[str, ...]
    host_key: tuple[str, ...]
    ciphers: tuple[str, ...]  # both directions, server's order, no duplicates
    macs: tuple[str, ...]
    compression: tuple[str, ...]


@dataclass(frozen=True)
class ServerHello:
    ident: str  # e.g. "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
    kexinit: KexInit


class _Reader:
    """Bounded reads from a socket that stop at a monotonic deadline."""

    def __init__(self, sock: socket.socket, deadline: float, what: str) -> None:
        self.sock, self.deadline, self.what, self.buf = sock, deadline, what, b""

    def _more(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeFailure(f"{self.what}: no complete answer in time",
                               ReasonCategory.TIMEOUT)
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise ProbeFailure(f"{self.what}: no complete answer in time",
                               ReasonCategory.TIMEOUT) from None
        except OSError as exc:
            raise ProbeFailure(f"{self.what}: {exc.strerror or exc}",
                               os_error_category(exc)) from None
        if not chunk:
            raise ProbeFailure(f"{self.what}: connection closed by the server",
                               ReasonCategory.RESET)
        self.buf += chunk

    def line(self, limit: int) -> bytes:
        while b"\n" not in self.buf[:limit]:
            if len(self.buf) >= limit:
                raise ProbeFailure(f"{self.what}: line longer than {limit} bytes")
            self._more()
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def read_hello(sock: socket.socket, deadline: float, what: str) -> ServerHello:
    """Exchange identification strings and read the server's KEXINIT (RFC 4253 4.2, 7.1)."""
    reader = _Reader(sock, deadline, what)
    skipped = 0
    while True:
        line = reader.line(MAX_LINE)
        if line.startswith(b"SSH-"):
            break
        skipped += len(line) + 2
        if skipped > MAX_PRE_BANNER:
            raise ProbeFailure(f"{what}: more than {MAX_PRE_BANNER} bytes before the SSH "
                               "identification line (endless banner?)")
    ident = line.decode("ascii", "replace")
    if not (ident.startswith("SSH-2.0-") or ident.startswith("SSH-1.99-")):
        raise ProbeFailure(f"{what}: not an SSH-2 server ({_printable(ident)!r})")
    try:
        sock.sendall(CLIENT_IDENT)
    except OSError as exc:
        raise ProbeFailure(f"{what}: {exc.strerror or exc}", os_error_category(exc)) from None
    length, padding = struct.unpack(">IB", reader.exactly(5))
    if not 5 <= length <= MAX_PACKET or padding >= length:
        raise ProbeFailure(f"{what}: malformed first packet (length {length})")
    payload = reader.exactly(length - 1)[: length - 1 - padding]
    return ServerHello(ident=_printable(ident), kexinit=parse_kexinit(payload, what))


def parse_kexinit(payload: bytes, what: str) -> KexInit:
    if not payload or payload[0] != MSG_KEXINIT:
        got = payload[0] if payload else "nothing"
        raise ProbeFailure(f"{what}: expected KEXINIT (message 20), got message {got}")
    pos, lists = 17, []  # message byte + 16-byte cookie
    for _ in LISTS:
        if pos + 4 > len(payload):
            raise ProbeFailure(f"{what}: truncated KEXINIT")
        (n,) = struct.unpack(">I", payload[pos:pos + 4])
        raw = payload[pos + 4:pos + 4 + n]
        if len(raw) != n:
            raise ProbeFailure(f"{what}: truncated KEXINIT")
        pos += 4 + n
        names = raw.decode("ascii", "replace").split(",") if raw else []
        if any(not name or not name.isprintable() or " " in name or len(name) > 64
               for name in names):
            raise ProbeFailure(f"{what}: KEXINIT holds a malformed algorithm name")
        lists.append(tuple(names))
    kex, host_key, c1, c2, m1, m2, z1, z2 = lists
    return KexInit(kex=kex, host_key=host_key, ciphers=_union(c1, c2), macs=_union(m1, m2),
                   compression=_union(z1, z2))


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a + b))


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_LINE]
