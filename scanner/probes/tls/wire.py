"""Buffered socket reads with deadlines and byte caps (the peer is untrusted)."""

from __future__ import annotations

import socket
import time

from tlslite.constants import AlertDescription

from scanner.models import ReasonCategory

MAX_RECORD = 16384 + 2048


class WireError(Exception):
    """The exchange could not go on; the message says why."""

    @property
    def category(self) -> ReasonCategory:
        return ReasonCategory.RESET


class Closed(WireError):
    """The peer closed (FIN) or reset (RST) the connection."""

    def __init__(self, reset: bool, received: int) -> None:
        self.reset = reset
        self.received = received  # bytes read in the current phase before the close
        super().__init__("connection reset" if reset else "connection closed")


class Timeout(WireError):
    @property
    def category(self) -> ReasonCategory:
        return ReasonCategory.TIMEOUT


class Garbage(WireError):
    @property
    def category(self) -> ReasonCategory:
        return ReasonCategory.PROTOCOL_ERROR


class Wire:
    """One TCP connection: buffered reads bounded in time (per phase) and in size."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.timeout = timeout
        self.buf = bytearray()
        self._deadline = 0.0
        self._budget = 0
        self.received = 0  # bytes received in this phase
        self.phase("")

    def phase(self, what: str, limit: int = 256 * 1024) -> None:
        """Start a step: a fresh deadline and a fresh byte budget."""
        self.what = what
        self._deadline = time.monotonic() + self.timeout
        self._budget = limit
        self.received = len(self.buf)

    def send(self, data: bytes) -> None:
        try:
            self.sock.settimeout(max(0.05, self._deadline - time.monotonic()))
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise Timeout(f"timed out sending {self.what}".strip()) from exc
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise Closed(reset=True, received=self.received) from exc
        except OSError as exc:
            raise WireError(f"send failed: {exc.strerror or exc}") from exc

    def _fill(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout(f"timed out waiting for {self.what}".strip())
        if self.received >= self._budget:
            raise Garbage(f"more than {self._budget} bytes while waiting for {self.what}")
        try:
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(min(65536, self._budget - self.received))
        except TimeoutError as exc:
            raise Timeout(f"timed out waiting for {self.what}".strip()) from exc
        except ConnectionResetError as exc:
            raise Closed(reset=True, received=self.received) from exc
        except OSError as exc:
            raise WireError(f"receive failed: {exc.strerror or exc}") from exc
        if not chunk:
            raise Closed(reset=False, received=self.received)
        self.received += len(chunk)
        self.buf += chunk

    def peek(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        return bytes(self.buf[:n])

    def read(self, n: int) -> bytes:
        data = self.peek(n)
        del self.buf[:n]
        return data

    def read_line(self, max_len: int = 4096) -> bytes:
        """One line without its CR LF; refuses longer lines."""
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0:
                break
            if len(self.buf) > max_len:
                raise Garbage(f"line longer than {max_len} bytes while waiting for {self.what}")
            start = len(self.buf)
            self._fill()
        if end > max_len:
            raise Garbage(f"line longer than {max_len} bytes while waiting for {self.what}")
        line = bytes(self.buf[:end]).rstrip(b"\r")
        del self.buf[: end + 1]
        return line


def printable(data: bytes | str, limit: int = 60) -> str:
    """Hostile bytes made safe to quote in a reason: ASCII printable, truncated."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    clean = "".join(c if " " <= c <= "~" else "?" for c in text)
    return clean if len(clean) <= limit else clean[:limit] + "…"


def read_record(wire: Wire) -> tuple[int, bytes]:
    """One TLS record (content type, payload); Garbage unless it looks like TLS."""
    header = wire.peek(5)
    ctype, major, minor, length = header[0], header[1], header[2], int.from_bytes(header[3:5])
    if ctype not in (20, 21, 22, 23, 24) or major != 3 or minor > 4 or not 0 < length <= MAX_RECORD:
        raise Garbage(f"not a TLS record: {printable(bytes(wire.buf[:24]))!r}")
    wire.read(5)
    return ctype, wire.read(length)


def alert_name(payload: bytes) -> str:
    if len(payload) != 2:
        raise Garbage("malformed alert record")
    name: str = AlertDescription.toStr(payload[1])
    return name
