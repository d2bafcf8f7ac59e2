"""Plaintext starts of FTP (AUTH TLS), LDAP (StartTLS), XMPP (STARTTLS) and PostgreSQL (SSLRequest).

Each function runs on a fresh connection up to the server's go-ahead for TLS, raising
StartTlsUnavailable when the server does not offer TLS and ProbeFailure on anything else.
The LDAP and XMPP messages are one fixed request and a few fields of the answer: small readers
here, bounded in size, rather than a full LDAP or XML library facing a hostile peer.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from scanner.probes.base import ProbeFailure
from scanner.probes.tls.wire import Garbage, Wire, printable

MAX_LINE = 4096
MAX_REPLY = 64 * 1024
MAX_LINES = 100


class StartTlsUnavailable(ProbeFailure):
    """The service does not advertise STARTTLS, or refused the command."""

# ---- FTP (RFC 959 replies, RFC 4217 AUTH TLS) -------------------------------------------------

_FTP_LINE = re.compile(rb"^(\d{3})([ -])(.*)$", re.DOTALL)


def ftp_reply(wire: Wire, what: str) -> tuple[int, str]:
    """One FTP reply, multi-line ones included: its code and its first line's text."""
    wire.phase(what, MAX_REPLY)
    first = wire.read_line(MAX_LINE)
    match = _FTP_LINE.match(first)
    if match is None:
        raise ProbeFailure(f"not an FTP reply to {what}: {printable(first)!r}")
    code, text = match.group(1), match.group(3).decode("latin-1")
    if match.group(2) == b" ":
        return int(code), text
    for _ in range(MAX_LINES):
        if wire.read_line(MAX_LINE).startswith(code + b" "):
            return int(code), text
    raise ProbeFailure(f"FTP reply to {what} longer than {MAX_LINES} lines")


def ftp_banner(wire: Wire) -> None:
    code, text = ftp_reply(wire, "the FTP banner")
    if code != 220:
        raise ProbeFailure(f"FTP banner {code} {printable(text)!r}")


def ftp(wire: Wire, _name: str) -> None:
    ftp_banner(wire)
    wire.send(b"AUTH TLS\r\n")
    code, text = ftp_reply(wire, "the AUTH TLS reply")
    if code != 234:
        raise StartTlsUnavailable(f"AUTH TLS refused: {code} {printable(text)!r}")


def ftp_user_in_clear(wire: Wire) -> tuple[bool, str]:
    """Send USER before any AUTH TLS: (accepted, the reply). 230/331/332 accept it."""
    ftp_banner(wire)
    wire.send(b"USER anonymous\r\n")
    code, text = ftp_reply(wire, "the reply to USER in clear text")
    reply = f"{code} {printable(text)!r}"
    if code in (230, 331, 332):
        return True, reply
    if 500 <= code < 600:
        return False, reply
    raise ProbeFailure(f"USER in clear text answered {reply}, neither accepted nor refused")


# ---- LDAP StartTLS extended operation (RFC 4511 4.14) ----------------------------------------

START_TLS_OID = b"1.3.6.1.4.1.1466.20037"
_REQUEST_NAME = b"\x80" + bytes([len(START_TLS_OID)]) + START_TLS_OID
_EXTENDED_REQUEST = b"\x77" + bytes([len(_REQUEST_NAME)]) + _REQUEST_NAME
_MESSAGE_ID = b"\x02\x01\x01"
LDAP_START_TLS = (b"\x30" + bytes([len(_MESSAGE_ID) + len(_EXTENDED_REQUEST)])
                  + _MESSAGE_ID + _EXTENDED_REQUEST)
_LDAP_RESULTS = {0: "success", 1: "operationsError", 2: "protocolError", 52: "unavailable",
                 53: "unwillingToPerform"}


def _ber(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the value) of the BER element at `pos`."""
    if pos + 2 > len(data):
        raise Garbage("truncated LDAP message")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise Garbage("malformed LDAP length")
        length = int.from_bytes(data[pos:pos + count])
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise Garbage("truncated LDAP message")
    return tag, pos, pos + length


def _ldap_message(wire: Wire) -> bytes:
    """One whole LDAPMessage (a BER SEQUENCE), at most MAX_REPLY bytes."""
    head = wire.peek(2)
    if head[0] != 0x30:
        raise Garbage(f"not an LDAP message: {printable(bytes(wire.buf[:24]))!r}")
    size = 2
    if head[1] & 0x80:
        count = head[1] & 0x7F
        if not 0 < count <= 4:
            raise Garbage("malformed LDAP length")
        size += count + int.from_bytes(wire.peek(2 + count)[2:])
    else:
        size += head[1]
    if size > MAX_REPLY:
        raise Garbage(f"LDAP message of {size} bytes")
    return wire.read(size)


def ldap(wire: Wire, _name: str) -> None:
    wire.phase("the LDAP StartTLS response", MAX_REPLY)
    wire.send(LDAP_START_TLS)
    message = _ldap_message(wire)
    _, start, _ = _ber(message, 0)
    tag, value, after = _ber(message, start)
    if tag != 0x02:
        raise Garbage("LDAP message without a message ID")
    message_id = int.from_bytes(message[value:after])
    tag, value, _ = _ber(message, after)
    if tag != 0x78:  # ExtendedResponse
        raise ProbeFailure(f"LDAP server answered StartTLS with operation tag 0x{tag:02x}")
    tag, code_at, code_end = _ber(message, value)
    if tag != 0x0A or code_end - code_at != 1:
        raise Garbage("LDAP ExtendedResponse without a result code")
    code = message[code_at]
    _, diag_at, diag_end = _ber(message, _ber(message, code_end)[2])  # matchedDN, then message
    diagnostic = printable(message[diag_at:diag_end])
    if message_id == 0:
        raise StartTlsUnavailable(f"LDAP server disconnected (notice of disconnection, code "
                                  f"{code}): {diagnostic!r}")
    if message_id != 1:
        raise Garbage(f"LDAP response to message {message_id}, not to StartTLS")
    if code != 0:
        name = _LDAP_RESULTS.get(code, str(code))
        raise StartTlsUnavailable(f"LDAP StartTLS refused: {name} {diagnostic!r}")


# ---- XMPP (RFC 6120 5.4) ----------------------------------------------------------------------

TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
_STARTTLS_FEATURE = re.compile(rb"<starttls\s[^>]*xmlns\s*=\s*['\"]" + re.escape(TLS_NS.encode()))
_PROCEED = re.compile(rb"<proceed\s[^>]*/>|<proceed\s[^>]*>\s*</proceed>")
_FAILURE = re.compile(rb"<failure[\s/>]")


def _read_until(wire: Wire, pattern: re.Pattern[bytes], *stops: re.Pattern[bytes]
                ) -> re.Match[bytes] | None:
    """Read until `pattern` (returned) or one of `stops` (None) shows in the buffer."""
    while True:
        found = pattern.search(wire.buf)
        if found:
            return found
        if any(s.search(wire.buf) for s in stops):
            return None
        wire.peek(len(wire.buf) + 1)  # one more read (deadline and byte cap apply)


def xmpp(wire: Wire, name: str) -> None:
    header = (f"<?xml version='1.0'?><stream:stream to={quoteattr(name)} xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
    wire.phase("the XMPP stream features", MAX_REPLY)
    wire.send(header.encode())
    end = re.compile(rb"</stream:features>|<stream:features\s*/>|</stream:stream>")
    if _read_until(wire, end) is None or b"<stream:features" not in wire.buf:
        raise ProbeFailure(f"XMPP server sent no stream features: "
                           f"{printable(bytes(wire.buf[:60]))!r}")
    if not _STARTTLS_FEATURE.search(wire.buf):
        raise StartTlsUnavailable("STARTTLS not offered: the XMPP stream features do not list "
                                  "starttls")
    wire.buf.clear()
    wire.phase("the XMPP STARTTLS reply", MAX_REPLY)
    wire.send(f"<starttls xmlns='{TLS_NS}'/>".encode())
    proceed = _read_until(wire, _PROCEED, _FAILURE)
    if proceed is None:
        raise StartTlsUnavailable(f"XMPP server refused STARTTLS: "
                                  f"{printable(bytes(wire.buf[:60]))!r}")
    del wire.buf[:proceed.end()]


# ---- PostgreSQL SSLRequest (protocol 3.0) -----------------------------------------------------

SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


def postgresql(wire: Wire, _name: str) -> None:
    wire.phase("the answer to SSLRequest", 1)
    wire.send(SSL_REQUEST)
    answer = wire.read(1)
    if answer == b"S":
        return
    if answer == b"N":
        raise StartTlsUnavailable("PostgreSQL server answered SSLRequest with N (no TLS)")
    if answer == b"E":
        raise StartTlsUnavailable("PostgreSQL server answered SSLRequest with an error message")
    raise Garbage(f"not a PostgreSQL answer to SSLRequest: {printable(answer)!r}")
