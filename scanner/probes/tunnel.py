"""Where a probe's connections start: here (a socket), or an SSH vantage (a channel).

A service only its clients' zone may reach is probed from that zone: through an SSH vantage,
each connection is a `direct-tcpip` channel opened by paramiko on one SSH session per service
(OpenSSH's `AllowTcpForwarding local` on the vantage; nothing installed there, no listening
port forwarded, the channel closed with the connection). The probe still gets a socket: one
end of a socketpair, bridged to the channel by a small pump thread (hand-written: paramiko
channels are not sockets, and `ssl.wrap_socket` and the TLS probes need one).
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import socket
import threading
import time
from typing import TYPE_CHECKING, Protocol

from scanner.models import ReasonCategory, Vantage, VantagePoint, say
from scanner.probes.base import ProbeFailure, os_error_category
from scanner.probes.vantage import open_client

if TYPE_CHECKING:  # imported by the SSH connector only: every connection passes through here
    import paramiko

LOCAL = "local"
CHUNK = 65536


class Connector(Protocol):
    """Opens TCP connections to IP literals on behalf of the probes of one service."""

    label: str  # how the report names where the connections started

    def open(self, address: str, port: int, timeout: float, deadline: float
             ) -> socket.socket: ...

    def close(self) -> None: ...


class LocalConnector:
    label = LOCAL

    def open(self, address: str, port: int, timeout: float, deadline: float) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except TimeoutError as exc:
            sock.close()
            raise ProbeFailure(f"connection to {address}:{port} timed out",
                               ReasonCategory.TIMEOUT,
                               say("reason.connect.timeout", where=f"{address}:{port}")) from exc
        except OSError as exc:
            sock.close()
            raise ProbeFailure(f"connection to {address}:{port} failed: {exc.strerror or exc}",
                               os_error_category(exc),
                               say("reason.connect.failed", where=f"{address}:{port}",
                                   error=str(exc.strerror or exc))) from exc
        return sock

    def close(self) -> None:
        pass


class SshConnector:
    """direct-tcpip channels on one SSH session to the vantage, opened on first use."""

    def __init__(self, vantage: Vantage, timeout: float) -> None:
        self.vantage, self.timeout = vantage, timeout
        self.label = f"vantage {vantage.name} (ssh {vantage.user}@{vantage.address}, direct-tcpip)"
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._opening = threading.Lock()  # one channel open at a time: see _Refusals
        self._refusals = _Refusals()
        self.sessions = 0  # SSH sessions opened (one, unless the first attempt failed)

    def _transport(self, deadline: float) -> paramiko.Transport:
        with self._lock:
            if self._client is None:
                self.sessions += 1
                self._client, _ = open_client(self.vantage, self.timeout, deadline)
                transport = self._client.get_transport()
                if transport is not None:  # its own log: the vantage's reasons, kept quiet
                    transport.set_log_channel(f"rempart.tunnel.{id(self)}")
                    log = logging.getLogger(f"rempart.tunnel.{id(self)}")
                    log.setLevel(logging.ERROR)
                    log.propagate = False
                    log.addHandler(self._refusals)
            transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise ProbeFailure(f"SSH connection to vantage {self.vantage.name} closed",
                               ReasonCategory.UNREACHABLE,
                               say("reason.vantage.closed", vantage=self.vantage.name))
        return transport

    def open(self, address: str, port: int, timeout: float, deadline: float) -> socket.socket:
        import paramiko

        transport = self._transport(deadline)
        where = f"{address}:{port} through vantage {self.vantage.name}"
        wait = max(0.05, min(timeout, deadline - time.monotonic()))
        try:
            with self._opening:
                self._refusals.last = ""
                try:
                    chan = transport.open_channel("direct-tcpip", (address, port),
                                                  ("127.0.0.1", 0), timeout=wait)
                finally:
                    said = self._refusals.last
        except paramiko.ChannelException as exc:  # the vantage could not connect
            if exc.code == paramiko.common.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED:
                raise ProbeFailure(f"vantage {self.vantage.name} refuses TCP forwarding (sshd "
                                   "AllowTcpForwarding must allow local forwarding)",
                                   ReasonCategory.NOT_PERMITTED,
                                   say("reason.vantage.no_forwarding", vantage=self.vantage.name)
                                   ) from None
            text = said or str(exc.text or exc)
            lowered = text.lower()
            cause: OSError = (ConnectionRefusedError(text) if "refused" in lowered
                              else TimeoutError(text) if "timed out" in lowered
                              else OSError(text))
            raise ProbeFailure(f"connection to {where} failed: {text}",
                               os_error_category(cause),
                               say("reason.vantage.connect_failed", where=f"{address}:{port}",
                                   vantage=self.vantage.name, error=text)) from cause
        except paramiko.SSHException as exc:  # paramiko's own wait ran out
            if "timeout" in str(exc).lower():
                raise ProbeFailure(f"connection to {where} timed out", ReasonCategory.TIMEOUT,
                                   say("reason.vantage.connect_timeout", where=f"{address}:{port}",
                                       vantage=self.vantage.name)) from TimeoutError()
            raise ProbeFailure(f"connection to {where} failed: {exc}",
                               ReasonCategory.PROTOCOL_ERROR,
                               say("reason.vantage.connect_failed", where=f"{address}:{port}",
                                   vantage=self.vantage.name, error=str(exc))) from None
        except (EOFError, OSError) as exc:
            raise ProbeFailure(f"SSH connection to vantage {self.vantage.name} failed: {exc}",
                               ReasonCategory.UNREACHABLE,
                               say("reason.vantage.ssh_failed", vantage=self.vantage.name,
                                   error=str(exc))) from None
        ours, theirs = socket.socketpair()
        ours.settimeout(timeout)
        threading.Thread(target=_pump, args=(theirs, chan), daemon=True,
                         name=f"tunnel-{address}:{port}").start()
        return ours

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                transport = self._client.get_transport()
                self._client.close()
                self._client = None
                if transport is not None:  # its thread still holds the socket until it ends
                    transport.join(2.0)


class _Refusals(logging.Handler):
    """What the vantage said when it could not connect ("Connection refused", "No route to
    host"): paramiko only logs that text (its exception keeps the generic code), so the
    connector reads its transport's own log. Opens are serialised, so `last` is ours."""

    _LINE = re.compile(r"^Secsh channel \d+ open FAILED: (.*): [^:]*$")

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if m := self._LINE.match(record.getMessage()):
            self.last = m.group(1)[:200]


def _pump(sock: socket.socket, chan: paramiko.Channel) -> None:
    """Copy bytes both ways until the probe closes its end (or either side fails)."""
    import paramiko

    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, "sock")
    sel.register(chan, selectors.EVENT_READ, "chan")
    try:
        while True:
            for key, _ in sel.select(timeout=60):
                if key.data == "sock":
                    data = sock.recv(CHUNK)
                    if not data:  # the probe closed its end: so does the channel
                        return
                    chan.sendall(data)
                else:
                    data = chan.recv(CHUNK)
                    if data:
                        sock.sendall(data)
                    else:  # the server closed
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_WR)
                        sel.unregister(chan)
    except (OSError, paramiko.SSHException, EOFError):
        pass  # the probe sees the connection end
    finally:
        sel.close()
        chan.close()
        sock.close()


def connector_for(vantage: VantagePoint | None, timeout: float) -> Connector:
    """Connections from the service's clients' vantage: an SSH host, or here."""
    if isinstance(vantage, Vantage):
        return SshConnector(vantage, timeout)
    return LocalConnector()
