"""SSL 2.0: a CLIENT-HELLO with every cipher spec, and the SERVER-HELLO it may bring."""

from __future__ import annotations

import os

from tlslite.messages import ClientHello, ServerHello2
from tlslite.utils.codec import Parser

from scanner.probes.tls.hello import HelloOutcome, failed, refused
from scanner.probes.tls.wire import Closed, Wire, WireError, alert_name, read_record

CIPHER_SPECS: dict[int, str] = {
    0x010080: "SSL_CK_RC4_128_WITH_MD5",
    0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
    0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5",
    0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
    0x050080: "SSL_CK_IDEA_128_CBC_WITH_MD5",
    0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
    0x0700C0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    0x080080: "SSL_CK_RC4_64_WITH_MD5",
}


def spec_categories(name: str) -> tuple[str, ...]:
    """Weak categories of an SSL 2.0 cipher spec (every one uses MD5)."""
    found: list[str] = []
    if "RC4" in name:
        found.append("rc4")
    if "DES_192_EDE3" in name:
        found.append("3des")
    if "DES_64" in name:
        found.append("des")
    if "EXPORT40" in name:
        found.append("export")
    found.append("md5")
    return tuple(found)


def client_hello() -> bytes:
    """An SSL 2.0 record carrying a CLIENT-HELLO (version 0.2)."""
    hello = ClientHello(ssl2=True).create(
        (0, 2), bytearray(os.urandom(16)), bytearray(0), list(CIPHER_SPECS)
    )
    body = bytes(hello.write())
    return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body


def read_server_hello(wire: Wire) -> HelloOutcome:
    """SERVER-HELLO → accepted; a TLS alert, an SSL 2.0 ERROR or a close → refused."""
    wire.phase("the SSL 2.0 SERVER-HELLO")
    try:
        first = wire.peek(2)
        if first[0] in (0x15, 0x16) and first[1] == 3:
            ctype, payload = read_record(wire)
            if ctype == 21:
                return refused(f"alert {alert_name(payload)}")
            return refused("answered in TLS, not SSL 2.0")
        if first[0] & 0x80:
            length, skip = ((first[0] & 0x7F) << 8) | first[1], 2
        else:
            length, skip = ((first[0] & 0x3F) << 8) | first[1], 3
        wire.read(skip)
        body = wire.read(length)
    except Closed as exc:
        if exc.received:
            return failed("connection closed in the middle of an SSL 2.0 record")
        return refused("reset" if exc.reset else "closed")
    except WireError as exc:
        return failed(str(exc))
    if body[:1] == b"\x00":
        return refused("SSL 2.0 ERROR message")
    if body[:1] != b"\x04":
        return failed("not an SSL 2.0 SERVER-HELLO")
    try:
        hello = ServerHello2().parse(Parser(bytearray(body[1:])))
    except Exception:  # tlslite raises assorted errors on bad input
        return failed("malformed SSL 2.0 SERVER-HELLO")
    if tuple(hello.server_version) != (0, 2):
        return failed(f"SSL 2.0 SERVER-HELLO with version {tuple(hello.server_version)}")
    ciphers = tuple(CIPHER_SPECS.get(c, f"0x{c:06X}") for c in hello.ciphers)
    cert = bytes(hello.certificate)
    return HelloOutcome(
        "accepted", version="SSLv2", ssl2_ciphers=ciphers, chain=(cert,) if cert else None
    )

