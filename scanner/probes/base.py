"""The probe interface: gather facts for one service, never judge, never raise."""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol, SshAccess
from scanner.netaddr import is_ip
from scanner.probes.scan_rate import DEFAULT as DEFAULT_RATE
from scanner.probes.scan_rate import ScanRate

if TYPE_CHECKING:
    from scanner.probes.tunnel import Connector


class ProbeFailure(Exception):
    """Raised inside a probe to turn one attempt into an `error` fact with this reason.

    `detail` says what happened in words; `category` says what kind of failure it was.
    The engine catches it at one boundary (`scanner.engine`); a probe that wants to keep the
    facts it did establish catches it itself and returns `failure.fact(name)` for the others.
    """

    def __init__(self, detail: str,
                 category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR) -> None:
        super().__init__(detail)
        self.detail = detail
        self.category = category

    def fact(self, name: str, summary: str = "") -> Fact:
        """The `error` fact this failure makes of the fact `name`."""
        return Fact(name=name, status=ProbeStatus.ERROR, summary=summary, reason=self.detail,
                    category=self.category)

    def within(self, prefix: str) -> ProbeFailure:
        """The same failure with `prefix: ` before its detail (same category)."""
        return ProbeFailure(f"{prefix}: {self.detail}", self.category)


@dataclass(frozen=True)
class ProbeTarget:
    """Where to connect: always an IP address (no DNS lookup happens in probes).

    Zone pairs (flow) and mail domains (spf) have no address of their own: their probes read
    what they need from `context` (inventory values such as flow.required or spf.ips).
    """

    address: str | None
    port: int
    protocol: ServiceProtocol
    sni: str | None  # a DNS name, never an IP literal (RFC 6066)
    expected_name: str  # the DNS name or IP address the certificate must match
    host: str = ""  # the subject's name in the inventory (host, "zoneA->zoneB", domain)
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.address is not None:
            ipaddress.ip_address(self.address)  # refuse names: probes never resolve
        if self.sni is not None and is_ip(self.sni):
            raise ValueError(f"SNI must be a DNS name, not {self.sni!r}")


@dataclass(frozen=True)
class ProbeOptions:
    """Scan-wide settings some probes read (from the CLI or the inventory)."""

    ports: str = "1-65535"  # nmap port specification for the exposure scan
    udp: bool = False  # also scan the top UDP ports
    dns_server: str | None = None  # "address[:port]" for SPF look-ups; None: system resolver
    http_samples: int = 10  # requests for the response-time percentile
    flow_sweep: bool = False  # local vantage: nmap over `ports` instead of the candidate ports
    vantages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> SSH settings
    ssh_access: Mapping[str, SshAccess] = field(default_factory=dict)  # host -> host-check login
    trust_on_first_use: bool = False  # host checks: accept (and record) unknown host keys
    scan_rate: ScanRate = DEFAULT_RATE  # the exposure scan's pace (--scan-rate)
    exposure_hosts: tuple[str, ...] = ()  # addresses port-scanned in this scan: one nmap run
    on_progress: Callable[[str], None] | None = field(default=None, compare=False)  # a line


@dataclass
class ProbeContext:
    """Per-service state shared by the probes of one scan of that service."""

    timeout: float  # seconds, per connection step
    deadline: float  # time.monotonic() value after which no new connection starts
    ca_file: Path | None = None
    options: ProbeOptions = field(default_factory=ProbeOptions)
    connections: int = 0
    scratch: dict[str, object] = field(default_factory=dict)  # data one probe leaves for another
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _connector: Connector | None = field(default=None, repr=False)

    def connect(self, target: ProbeTarget) -> socket.socket:
        """Open a TCP connection to the target's address (never a DNS lookup).

        The connection starts where the service's clients are: from here, or through the
        SSH vantage its context names (`probe.vantage`), as a direct-tcpip channel handed
        over as a socket (scanner/probes/tunnel.py). Probes cannot tell the difference, so
        the same TLS, certificate and HTTP code runs over both; the budget, the time limits
        and the SNI rule are the same. The SSH session itself counts as one connection.
        """
        if target.address is None:
            raise ProbeFailure(f"{target.host or 'this subject'} has no address to connect to",
                               ReasonCategory.BAD_INPUT)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeFailure("service time budget exhausted before this connection",
                               ReasonCategory.BUDGET_EXHAUSTED)
        from scanner.probes.tunnel import connector_for  # tunnel imports this module

        with self._lock:
            if self._connector is None:
                self._connector = connector_for(target.context, self.options.vantages,
                                                self.timeout)
                self.connections += self._connector.label != "local"  # the SSH session
            self.connections += 1
            connector = self._connector
        return connector.open(target.address, target.port, min(self.timeout, remaining),
                              self.deadline)

    @property
    def probed_from(self) -> str:
        """Where the connections started: `local` or the vantage (for the report)."""
        return self._connector.label if self._connector is not None else "local"

    def close(self) -> None:
        """End what the connections needed (the vantage's SSH session)."""
        if self._connector is not None:
            self._connector.close()


_ERRNO_CATEGORIES = {
    errno.ECONNREFUSED: ReasonCategory.REFUSED,
    errno.ECONNRESET: ReasonCategory.RESET,
    errno.ECONNABORTED: ReasonCategory.RESET,
    errno.EPIPE: ReasonCategory.RESET,
    errno.ETIMEDOUT: ReasonCategory.TIMEOUT,
    errno.EHOSTUNREACH: ReasonCategory.UNREACHABLE,
    errno.ENETUNREACH: ReasonCategory.UNREACHABLE,
    errno.EHOSTDOWN: ReasonCategory.UNREACHABLE,
    errno.ENETDOWN: ReasonCategory.UNREACHABLE,
    errno.EADDRNOTAVAIL: ReasonCategory.UNREACHABLE,
    errno.EACCES: ReasonCategory.NOT_PERMITTED,
    errno.EPERM: ReasonCategory.NOT_PERMITTED,
}


def os_error_category(exc: OSError) -> ReasonCategory:
    """The category of a socket error (refused, reset, unreachable, ...)."""
    if isinstance(exc, TimeoutError):
        return ReasonCategory.TIMEOUT
    return _ERRNO_CATEGORIES.get(exc.errno or 0, ReasonCategory.UNREACHABLE)


def exception_category(exc: BaseException) -> ReasonCategory:
    """The category of an exception met while talking to a peer (hostile answers included)."""
    if isinstance(exc, ProbeFailure):
        return exc.category
    if isinstance(exc, TimeoutError):
        return ReasonCategory.TIMEOUT
    if isinstance(exc, ssl.SSLError):  # an OSError whose errno is OpenSSL's, not the kernel's
        return ReasonCategory.PROTOCOL_ERROR
    if isinstance(exc, OSError):
        return os_error_category(exc)
    return ReasonCategory.PROTOCOL_ERROR


class Probe(Protocol):
    """One family of facts. `run` returns one Fact per wanted name and never raises."""

    name: str
    provides: frozenset[str]

    def run(
        self,
        target: ProbeTarget,
        wanted: frozenset[str],
        ctx: ProbeContext,
        known: Mapping[str, Fact],
    ) -> list[Fact]: ...
