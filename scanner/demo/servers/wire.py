"""Socket helpers shared by the server engines."""

from __future__ import annotations

import socket
import struct
import time
from typing import Protocol

IO_TIMEOUT = 10.0  # seconds, for every client socket


class Stream(Protocol):
    """What the application dialogues need: a plain socket, SSLSocket or TLSConnection."""

    def recv(self, bufsize: int, /) -> bytes: ...
    def sendall(self, data: bytes, /) -> None: ...


class LineReader:
    """CRLF line reader over a :class:`Stream` (for SMTP/IMAP/POP3 dialogues)."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.buffer = b""

    def readline(self, limit: int = 4096) -> bytes | None:
        """Next line without its end of line; ``None`` when the peer closed."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > limit:
                return None
            chunk = self.stream.recv(1024)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")


def close_gracefully(sock: socket.socket, linger: float = 2.0) -> None:
    """Half-close, drain what the client still sends (avoids an RST eating our reply), close."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.2)
        deadline = time.monotonic() + linger
        while time.monotonic() < deadline:
            try:
                if not sock.recv(4096):
                    break
            except TimeoutError:
                continue
    except OSError:
        pass
    finally:
        sock.close()


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER on, timeout 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def peek_sni(sock: socket.socket, wait: float = 3.0) -> str | None:
    """Peek (without consuming) at a TLS ClientHello and return its SNI host name, if any."""
    deadline = time.monotonic() + wait
    data = b""
    while time.monotonic() < deadline:
        data = sock.recv(16384, socket.MSG_PEEK)
        if not data or data[0] != 0x16:
            return None
        if len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big"):
            break
        time.sleep(0.02)
    return _sni_from_record(data)


def _sni_from_record(record: bytes) -> str | None:
    """Parse the server_name extension out of a ClientHello record (``None`` if absent)."""
    try:
        body = record[5:]
        if body[0] != 1:  # handshake type client_hello
            return None
        pos = 4 + 2 + 32  # handshake header, client_version, random
        pos += 1 + body[pos]  # session id
        pos += 2 + int.from_bytes(body[pos : pos + 2], "big")  # cipher suites
        pos += 1 + body[pos]  # compression methods
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= end:
            ext_type = int.from_bytes(body[pos : pos + 2], "big")
            ext_len = int.from_bytes(body[pos + 2 : pos + 4], "big")
            ext = body[pos + 4 : pos + 4 + ext_len]
            if ext_type == 0 and len(ext) > 5 and ext[2] == 0:  # host_name entry
                name_len = int.from_bytes(ext[3:5], "big")
                return ext[5 : 5 + name_len].decode("ascii", "replace")
            pos += 4 + ext_len
    except IndexError:
        return None
    return None


def fatal_alert(description: int, version: bytes = b"\x03\x03") -> bytes:
    """A plaintext fatal TLS alert record."""
    return b"\x15" + version + b"\x00\x02\x02" + bytes([description])
