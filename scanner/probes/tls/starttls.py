"""Plaintext preambles that lead to STARTTLS before the TLS bytes.

SMTP (and submission), IMAP and POP3 here; FTP, LDAP, XMPP and PostgreSQL in `preambles`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scanner.models import ServiceProtocol
from scanner.probes.base import ProbeFailure
from scanner.probes.tls import preambles
from scanner.probes.tls.preambles import StartTlsUnavailable as StartTlsUnavailable
from scanner.probes.tls.wire import Closed, Garbage, Timeout, Wire, WireError, printable

MAX_LINE = 4096  # bytes per reply line
MAX_PREAMBLE = 64 * 1024  # bytes per reply
MAX_LINES = 100  # lines per reply
EHLO_NAME = "rempart.invalid"

_SMTP_LINE = re.compile(rb"^(\d{3})([ -])(.*)$", re.DOTALL)


def negotiate(wire: Wire, protocol: ServiceProtocol, server_name: str = "") -> None:
    """Run the plaintext exchange up to the server's go-ahead for TLS.

    Raises StartTlsUnavailable when STARTTLS is missing or refused and ProbeFailure on
    timeouts, closes and malformed replies.
    """
    steps: dict[ServiceProtocol, Callable[[Wire, str], None]] = {
        ServiceProtocol.SMTP: _smtp,
        ServiceProtocol.SUBMISSION: _smtp,
        ServiceProtocol.IMAP: _imap,
        ServiceProtocol.POP3: _pop3,
        ServiceProtocol.FTP: preambles.ftp,
        ServiceProtocol.LDAP: preambles.ldap,
        ServiceProtocol.XMPP: preambles.xmpp,
        ServiceProtocol.POSTGRESQL: preambles.postgresql,
    }
    step = steps.get(protocol)
    if step is None:
        return
    try:
        step(wire, server_name)
    except WireError as exc:
        raise ProbeFailure(_wire_reason(exc, wire.what), exc.category) from exc
    if wire.buf:
        raise ProbeFailure(
            f"{protocol.value.upper()} server sent data after its go-ahead for TLS "
            f"({printable(bytes(wire.buf))!r})"
        )


def _wire_reason(exc: WireError, what: str) -> str:
    if isinstance(exc, Closed):
        verb = "reset" if exc.reset else "closed"
        return f"connection {verb} while waiting for {what}"
    if isinstance(exc, Timeout | Garbage):
        return str(exc)
    return f"{exc} while waiting for {what}"


def _smtp_reply(wire: Wire, what: str) -> tuple[int, list[str]]:
    """A (possibly multi-line) SMTP reply: its code and the text of each line."""
    wire.phase(what, MAX_PREAMBLE)
    texts: list[str] = []
    for _ in range(MAX_LINES):
        line = wire.read_line(MAX_LINE)
        match = _SMTP_LINE.match(line)
        if match is None:
            raise ProbeFailure(f"not an SMTP reply to {what}: {printable(line)!r}")
        texts.append(match.group(3).decode("latin-1"))
        if match.group(2) == b" ":
            return int(match.group(1)), texts
    raise ProbeFailure(f"SMTP reply to {what} longer than {MAX_LINES} lines")


def _smtp(wire: Wire, _name: str) -> None:
    code, texts = _smtp_reply(wire, "the SMTP banner")
    if code != 220:
        raise ProbeFailure(f"SMTP banner {code} {printable(texts[0])!r}")
    wire.send(f"EHLO {EHLO_NAME}\r\n".encode())
    code, texts = _smtp_reply(wire, "the EHLO reply")
    if code != 250:
        raise StartTlsUnavailable(f"STARTTLS not offered: EHLO answered {code}")
    if not any(t.strip().upper().split(" ")[0] == "STARTTLS" for t in texts[1:]):
        raise StartTlsUnavailable("STARTTLS not offered: the EHLO reply does not list STARTTLS")
    wire.send(b"STARTTLS\r\n")
    code, texts = _smtp_reply(wire, "the STARTTLS reply")
    if code != 220:
        raise StartTlsUnavailable(
            f"STARTTLS not offered: STARTTLS answered {code} {printable(texts[0])!r}"
        )


def _imap(wire: Wire, _name: str) -> None:
    wire.phase("the IMAP greeting", MAX_PREAMBLE)
    greeting = wire.read_line(MAX_LINE)
    upper = greeting.upper()
    if upper.startswith(b"* PREAUTH"):
        raise StartTlsUnavailable("STARTTLS not offered: IMAP session pre-authenticated")
    if not upper.startswith(b"* OK"):
        raise ProbeFailure(f"unexpected IMAP greeting {printable(greeting)!r}")
    wire.send(b"a1 STARTTLS\r\n")
    wire.phase("the IMAP STARTTLS reply", MAX_PREAMBLE)
    for _ in range(MAX_LINES):
        line = wire.read_line(MAX_LINE)
        upper = line.upper()
        if upper.startswith(b"* "):
            continue  # untagged data, e.g. a CAPABILITY list
        if upper.startswith(b"A1 OK"):
            return
        if upper.startswith((b"A1 NO", b"A1 BAD")):
            raise StartTlsUnavailable(f"STARTTLS not offered: IMAP answered {printable(line)!r}")
        raise ProbeFailure(f"unexpected IMAP reply {printable(line)!r}")
    raise ProbeFailure(f"IMAP reply longer than {MAX_LINES} lines")


def _pop3(wire: Wire, _name: str) -> None:
    wire.phase("the POP3 greeting", MAX_PREAMBLE)
    greeting = wire.read_line(MAX_LINE)
    if not greeting.startswith(b"+OK"):
        raise ProbeFailure(f"unexpected POP3 greeting {printable(greeting)!r}")
    wire.send(b"STLS\r\n")
    wire.phase("the POP3 STLS reply", MAX_PREAMBLE)
    reply = wire.read_line(MAX_LINE)
    if reply.startswith(b"+OK"):
        return
    if reply.startswith(b"-ERR"):
        raise StartTlsUnavailable(f"STARTTLS not offered: STLS answered {printable(reply)!r}")
    raise ProbeFailure(f"unexpected POP3 reply {printable(reply)!r}")
