"""The probe interface: gather facts for one service, never judge, never raise."""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from scanner.facts import FactSpec
from scanner.models import (
    Fact,
    NetworkService,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    Subject,
    Summary,
    say,
)
from scanner.netaddr import is_ip
from scanner.probes.scan_rate import DEFAULT as DEFAULT_RATE
from scanner.probes.scan_rate import ScanRate

if TYPE_CHECKING:
    from scanner.probes.tunnel import Connector

T = TypeVar("T")
S = TypeVar("S")


class ProbeFailure(Exception):
    """Raised inside a probe to turn one attempt into an `error` fact with this reason.

    `detail` says what happened in words; `category` says what kind of failure it was.
    The engine catches it at one boundary (`scanner.engine`); a probe that wants to keep the
    facts it did establish catches it itself and returns `failure.fact(name)` for the others.
    """

    def __init__(self, detail: str,
                 category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR,
                 why: Phrase | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.category = category
        self.why = why  # the detail as a message key, when it is a fixed sentence

    def fact(self, name: str, summary: Summary | None = None) -> Fact:
        """The `error` fact this failure makes of the fact `name`."""
        return Fact(name=name, status=ProbeStatus.ERROR, summary=summary or Summary(),
                    reason=self.detail, category=self.category, why=self.why)

    def within(self, prefix: str) -> ProbeFailure:
        """The same failure with `prefix: ` before its detail (same category)."""
        return ProbeFailure(f"{prefix}: {self.detail}", self.category)


@dataclass(frozen=True)
class ProbeTarget:
    """Where to connect: always an IP address (no DNS lookup happens in probes).

    Zone pairs and mail domains have no address of their own: their probes read what they
    need from the typed `subject` (`subject_as(ZonePair)`: its destinations, ports, vantage).
    """

    address: str | None
    port: int
    protocol: ServiceProtocol
    sni: str | None  # a DNS name, never an IP literal (RFC 6066)
    expected_name: str  # the DNS name or IP address the certificate must match
    host: str = ""  # the subject's name in the inventory (host, "zoneA->zoneB", domain)
    subject: Subject | None = None  # what the inventory says of it, typed

    def subject_as(self, kind: type[S]) -> S:
        """The subject, as the kind the probe works on; else a `bad_input` failure."""
        if not isinstance(self.subject, kind):
            got = type(self.subject).__name__ if self.subject is not None else "nothing"
            raise ProbeFailure(f"{self.host or 'this subject'} is a {got}, not a "
                               f"{kind.__name__}", ReasonCategory.BAD_INPUT)
        return self.subject

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
    trust_on_first_use: bool = False  # host checks: accept (and record) unknown host keys
    scan_rate: ScanRate = DEFAULT_RATE  # the exposure scan's pace (--scan-rate)
    exposure_hosts: tuple[str, ...] = ()  # addresses port-scanned in this scan: one nmap run
    on_progress: Callable[[str], None] | None = field(default=None, compare=False)  # a line


class CancelFlag(Protocol):
    """`scanner.interrupt.Cancel` as probes see it."""

    def is_set(self) -> bool: ...


@dataclass
class ProbeContext:
    """Per-service state shared by the probes of one scan of that service."""

    timeout: float  # seconds, per connection step
    deadline: float  # time.monotonic() value after which no new connection starts
    ca_file: Path | None = None
    options: ProbeOptions = field(default_factory=ProbeOptions)
    connections: int = 0
    cancel: CancelFlag | None = field(default=None, repr=False)  # set: the scan stops
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _connector: Connector | None = field(default=None, repr=False)

    def connect(self, target: ProbeTarget) -> socket.socket:
        """Open a TCP connection to the target's address (never a DNS lookup).

        The connection starts where the service's clients are: from here, or through the
        SSH vantage of its `clients` zone, as a direct-tcpip channel handed
        over as a socket (scanner/probes/tunnel.py). Probes cannot tell the difference, so
        the same TLS, certificate and HTTP code runs over both; the budget, the time limits
        and the SNI rule are the same. The SSH session itself counts as one connection.
        """
        if target.address is None:
            raise ProbeFailure(f"{target.host or 'this subject'} has no address to connect to",
                               ReasonCategory.BAD_INPUT)
        if self.cancel is not None and self.cancel.is_set():
            raise ProbeFailure("the scan was interrupted", ReasonCategory.INTERRUPTED,
                               say("reason.interrupted"))
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeFailure("service time budget exhausted before this connection",
                               ReasonCategory.BUDGET_EXHAUSTED, say("reason.budget_connection"))
        from scanner.probes.tunnel import connector_for  # tunnel imports this module

        with self._lock:
            if self._connector is None:
                clients = (target.subject.clients
                           if isinstance(target.subject, NetworkService) else None)
                self._connector = connector_for(clients.vantage if clients else None,
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


@dataclass(frozen=True)
class Artefact(Generic[T]):
    """A typed key for something one probe leaves for others (e.g. the TLS session)."""

    name: str
    type: type[T]


Need = str | Artefact[Any]
"""What a probe needs before it runs: a fact name, or an artefact."""


class ProbeInputs(Mapping[str, Fact]):
    """What a probe may read (the facts and artefacts it declared in `needs`) and publish (the
    artefacts it declared in `makes`). As a mapping: the needed facts established so far."""

    def __init__(self, probe: Probe, facts: Mapping[str, Fact],
                 artefacts: dict[str, object], failures: Mapping[str, ProbeFailure]) -> None:
        self._probe, self._facts, self._artefacts, self._failures = (
            probe, facts, artefacts, failures)
        needs: tuple[Need, ...] = getattr(probe, "needs", ())  # undeclared: needs nothing
        self._needs = {n if isinstance(n, str) else n.name for n in needs}

    def __getitem__(self, name: str) -> Fact:
        if name not in self._needs:
            raise KeyError(f"probe {self._probe.name} does not declare it needs fact {name}")
        return self._facts[name]

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._facts if n in self._needs)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def artefact(self, key: Artefact[T]) -> T:
        """The artefact, or a ProbeFailure saying why it is not there (its maker's failure)."""
        if key not in getattr(self._probe, "needs", ()):
            raise TypeError(f"probe {self._probe.name} does not declare it needs {key.name}")
        value = self._artefacts.get(key.name)
        if isinstance(value, key.type):
            return value
        failed = self._failures.get(key.name)
        if failed is not None:
            raise failed.within(f"no {key.name}")
        raise ProbeFailure(f"no probe made {key.name}", ReasonCategory.MISSING_DEPENDENCY,
                           say("reason.no_maker", artefact=key.name))

    def publish(self, key: Artefact[T], value: T) -> None:
        if key not in getattr(self._probe, "makes", ()) or not isinstance(value, key.type):
            raise TypeError(f"probe {self._probe.name} does not declare it makes {key.name} "
                            f"({type(value).__name__})")
        self._artefacts[key.name] = value


@runtime_checkable
class Probe(Protocol):
    """One family of facts, declared in its module and registered in scanner.probes.registry.

    `facts` are the FactSpecs it establishes, `needs` the facts and artefacts it reads from
    `inputs`, `makes` the artefacts it publishes there; the engine runs the probes a subject
    needs in an order that satisfies these declarations. `run` returns one Fact per wanted
    name; it may raise ProbeFailure (every wanted fact becomes an error with that category);
    any other exception is a bug, reported as `internal_error`.
    """

    name: str

    @property
    def facts(self) -> tuple[FactSpec, ...]: ...  # a class attribute in practice

    @property
    def needs(self) -> tuple[Need, ...]: ...

    @property
    def makes(self) -> tuple[Artefact[Any], ...]: ...

    def run(
        self,
        target: ProbeTarget,
        wanted: frozenset[str],
        ctx: ProbeContext,
        inputs: ProbeInputs,
    ) -> list[Fact]: ...
