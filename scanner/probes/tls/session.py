"""Per-service handshake runner: STARTTLS, one hello per connection, cached protocol results."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.models import Fact, ReasonCategory
from scanner.probes.base import Artefact, ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.tls import sslv2, starttls
from scanner.probes.tls.hello import (
    HelloOutcome,
    HelloSpec,
    client_hello,
    failed,
    read_flight,
    refused,
)
from scanner.probes.tls.starttls import StartTlsUnavailable
from scanner.probes.tls.suites import ALL_LEGACY_SUITES, HELLO_GROUPS, TLS13_SUITES, version_rank
from scanner.probes.tls.wire import Closed, Wire, WireError

PROTOCOL_ORDER = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3", "SSLv2")


def version_spec(version: str) -> HelloSpec:
    """The hello that asks whether one protocol version is accepted (everything offered)."""
    if version == "SSLv2":
        return HelloSpec("SSLv2")
    if version == "TLSv1.3":
        return HelloSpec(
            "TLSv1.3", tuple(TLS13_SUITES), HELLO_GROUPS, key_shares=("x25519", "secp256r1")
        )
    return HelloSpec(version, ALL_LEGACY_SUITES, HELLO_GROUPS)


@dataclass(frozen=True)
class Protocols:
    """One verdict per protocol version (or the error that stopped the test)."""

    outcomes: dict[str, HelloOutcome]
    handshakes: int
    error: str | None = None
    category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR  # of the error, when there is one

    def failure(self, prefix: str = "") -> ProbeFailure:
        """The error that stopped the test, as a failure (`prefix: ` before its detail)."""
        assert self.error is not None
        return ProbeFailure(f"{prefix}: {self.error}" if prefix else self.error, self.category)

    def accepted(self, version: str) -> bool:
        out = self.outcomes.get(version)
        return out is not None and out.accepted and out.version == version


class TlsSession:
    """Handshakes against one service, made by the tls probe and handed to the probes that
    need it (`TLS_SESSION`): what one learnt (versions, a chain seen in clear) the next reuses."""

    def __init__(self, target: ProbeTarget, ctx: ProbeContext) -> None:
        self.target = target
        self.ctx = ctx
        self.handshakes = 0
        self.starttls_done: str | None = None  # the protocol (SMTP...) of a STARTTLS that went
        self.starttls_refusal: StartTlsUnavailable | None = None
        self.preamble_error: ProbeFailure | None = None
        self.protocols_result: Protocols | None = None
        self.chain_version: str | None = None  # protocol of `clear_chain`
        self.clear_chain: tuple[bytes, ...] = ()  # first chain sent in clear (DER, leaf first)
        self.memo: dict[str, object] = {}  # the tls probe's own helpers' state for this session
        self.facts: dict[str, Fact] = {}  # facts already established, by name

    def open(self) -> Wire:
        """Connect and run the STARTTLS preamble; raises ProbeFailure (or its subclass)."""
        if self.starttls_refusal is not None:
            raise self.starttls_refusal
        sock = self.ctx.connect(self.target)
        wire = Wire(sock, self.ctx.timeout)
        if self.target.protocol.starttls:
            try:
                starttls.negotiate(wire, self.target.protocol,
                                   self.target.sni or self.target.expected_name)
            except StartTlsUnavailable as exc:
                sock.close()
                self.starttls_refusal = exc
                raise
            except ProbeFailure as exc:
                sock.close()
                self.preamble_error = exc
                raise
            self.starttls_done = self.target.protocol.value.upper()
        return wire

    def exchange(self, spec: HelloSpec) -> HelloOutcome:
        """One connection, one hello. Raises only StartTlsUnavailable."""
        self.handshakes += 1
        try:
            wire = self.open()
        except StartTlsUnavailable:
            raise
        except ProbeFailure as exc:
            if isinstance(exc.__cause__, ConnectionResetError):
                return refused("reset")  # accepted, then reset before connect() returned
            return failed(exc.detail, exc.category)
        try:
            if spec.version == "SSLv2":
                wire.phase("sending the SSL 2.0 CLIENT-HELLO")
                wire.send(sslv2.client_hello())
                outcome = sslv2.read_server_hello(wire)
            else:
                wire.phase("sending the ClientHello")
                wire.send(client_hello(spec, self.target.sni))
                outcome = read_flight(wire, spec)
        except Closed as exc:
            outcome = refused("reset" if exc.reset else "closed")
        except WireError as exc:
            outcome = failed(str(exc), exc.category)
        finally:
            wire.sock.close()
        self._keep_chain(outcome)
        return outcome

    def _keep_chain(self, out: HelloOutcome) -> None:
        """Leave the first chain seen in clear for the certificate probe (TLS over SSL 2.0)."""
        if not out.accepted or not out.chain or out.version is None:
            return
        upgrade = self.chain_version == "SSLv2" and out.version != "SSLv2"
        if self.chain_version is None or upgrade:
            self.chain_version = out.version
            self.clear_chain = tuple(out.chain)

    def protocols(self) -> Protocols:
        """Each version in its own hello, newest first; a downgrade answer settles two."""
        if self.protocols_result is not None:
            return self.protocols_result
        outcomes: dict[str, HelloOutcome] = {}
        start = self.handshakes
        error: str | None = None
        category = ReasonCategory.PROTOCOL_ERROR
        for version in PROTOCOL_ORDER:
            if version in outcomes:
                continue
            out = self.exchange(version_spec(version))
            if out.status == "error":
                error = f"{version} hello: {out.reason}"
                category = out.category or category
                break
            if out.accepted and out.version != version:
                assert out.version is not None
                if version_rank(out.version) > version_rank(version):
                    error = f"{version} hello answered with {out.version}"
                    break
                outcomes[version] = refused(f"negotiated {out.version} instead")
                outcomes[out.version] = out
            else:
                outcomes[version] = out
        if error is None:
            error = _nothing_accepted(list(outcomes.values()), self.target.sni)
            if error is not None and all(o.by_close for o in outcomes.values()):
                category = ReasonCategory.RESET
        self.protocols_result = Protocols(outcomes, self.handshakes - start, error, category)
        return self.protocols_result


def _nothing_accepted(outcomes: list[HelloOutcome], sni: str | None) -> str | None:
    """Refusals that show no TLS service at all (or none for this name) are errors."""
    if any(o.accepted for o in outcomes):
        return None
    if all(o.by_close for o in outcomes):
        verb = "reset" if all(o.reason == "reset" for o in outcomes) else "closed"
        return f"no TLS handshake succeeded; the service {verb} every connection"
    if any(o.reason == "alert unrecognized_name" for o in outcomes):
        sent = f"the server name {sni!r}" if sni else "no server name (IP target)"
        return f"no TLS handshake succeeded; the server refused {sent} (alert unrecognized_name)"
    return None


TLS_SESSION = Artefact("tls.session", TlsSession)
