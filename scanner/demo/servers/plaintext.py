"""Plaintext application dialogues: SMTP/IMAP/POP3 STARTTLS, and HTTP after TLS."""

from __future__ import annotations

from . import directory
from .http_answer import answer, read_request
from .spec import ServerSpec
from .wire import LineReader, Stream

MAX_COMMANDS = 50
_UPGRADES = {"ldap": directory.ldap, "xmpp": directory.xmpp, "postgresql": directory.postgresql}


def _send(stream: Stream, *lines: str) -> None:
    stream.sendall("".join(f"{line}\r\n" for line in lines).encode())


def dialogue(stream: Stream, spec: ServerSpec, *, secure: bool) -> bool:
    """Speak ``spec.mode``; True when the client asked for STARTTLS and we agreed.

    ``secure`` means TLS is already up: no STARTTLS offered or accepted any more,
    and SMTP sends no second greeting (RFC 3207).
    """
    if spec.mode in _UPGRADES:
        return False if secure else _UPGRADES[spec.mode](stream, spec)
    reader = LineReader(stream)
    if spec.mode == "smtp":
        return _smtp(stream, reader, spec, secure)
    if spec.mode == "imap":
        return _imap(stream, reader, spec, secure)
    if spec.mode == "pop3":
        return _pop3(stream, reader, spec, secure)
    return False


def _smtp(stream: Stream, reader: LineReader, spec: ServerSpec, secure: bool) -> bool:
    offer = spec.starttls_advertised and not secure
    if not secure:
        _send(stream, f"220 {spec.name} ESMTP Rempart demo")
    for _ in range(MAX_COMMANDS):
        line = reader.readline()
        if line is None:
            return False
        verb = line.split(b" ", 1)[0].upper()
        if verb == b"EHLO":
            caps = [spec.name, "PIPELINING", "SIZE 10240000"]
            caps += ["STARTTLS"] if offer else []
            caps += ["8BITMIME"]
            _send(stream, *(f"250-{c}" for c in caps[:-1]), f"250 {caps[-1]}")
        elif verb == b"HELO":
            _send(stream, f"250 {spec.name}")
        elif verb == b"STARTTLS":
            if offer:
                _send(stream, "220 2.0.0 Ready to start TLS")
                return True
            _send(stream, "502 5.5.1 STARTTLS not available")
        elif verb == b"QUIT":
            _send(stream, "221 2.0.0 Bye")
            return False
        elif verb in (b"NOOP", b"RSET"):
            _send(stream, "250 2.0.0 OK")
        else:
            _send(stream, "502 5.5.2 Command not implemented")
    return False


def _imap(stream: Stream, reader: LineReader, spec: ServerSpec, secure: bool) -> bool:
    offer = spec.starttls_advertised and not secure
    caps = "IMAP4rev1 STARTTLS" if offer else "IMAP4rev1"
    if not secure:
        _send(stream, f"* OK [CAPABILITY {caps}] {spec.name} ready")
    for _ in range(MAX_COMMANDS):
        line = reader.readline()
        if line is None:
            return False
        parts = line.decode("latin-1").split()
        tag = parts[0] if parts else "*"
        command = parts[1].upper() if len(parts) > 1 else ""
        if command == "CAPABILITY":
            _send(stream, f"* CAPABILITY {caps}", f"{tag} OK CAPABILITY completed")
        elif command == "STARTTLS":
            if offer:
                _send(stream, f"{tag} OK Begin TLS negotiation now")
                return True
            _send(stream, f"{tag} BAD STARTTLS not available")
        elif command == "LOGOUT":
            _send(stream, "* BYE logging out", f"{tag} OK LOGOUT completed")
            return False
        elif command == "NOOP":
            _send(stream, f"{tag} OK NOOP completed")
        else:
            _send(stream, f"{tag} BAD unknown command")
    return False


def _pop3(stream: Stream, reader: LineReader, spec: ServerSpec, secure: bool) -> bool:
    offer = spec.starttls_advertised and not secure
    if not secure:
        _send(stream, f"+OK {spec.name} ready")
    for _ in range(MAX_COMMANDS):
        line = reader.readline()
        if line is None:
            return False
        verb = line.split(b" ", 1)[0].upper()
        if verb == b"CAPA":
            caps = ["USER", "TOP", "UIDL"] + (["STLS"] if offer else [])
            _send(stream, "+OK Capability list follows", *caps, ".")
        elif verb == b"STLS":
            if offer:
                _send(stream, "+OK Begin TLS negotiation")
                return True
            _send(stream, "-ERR STLS not available")
        elif verb == b"QUIT":
            _send(stream, "+OK Bye")
            return False
        elif verb == b"NOOP":
            _send(stream, "+OK")
        else:
            _send(stream, "-ERR unknown command")
    return False


def after_tls(stream: Stream, spec: ServerSpec) -> None:
    """Application data once TLS is up: the protocol again, or one HTTP answer."""
    if spec.mode != "tls":
        dialogue(stream, spec, secure=True)
        return
    answer(stream, spec, read_request(stream))
