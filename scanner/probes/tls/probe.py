"""The `tls` probe: protocol versions, weak suites, groups and STARTTLS, from crafted hellos."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

from scanner.facts import TLS_PROTOCOLS
from scanner.models import Fact, Observation, ProbeStatus, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.tls import findings, kx, preambles
from scanner.probes.tls.session import PROTOCOL_ORDER, TlsSession
from scanner.probes.tls.starttls import StartTlsUnavailable
from scanner.probes.tls.wire import Wire, WireError

COMPLETED, ERROR, NOT_APPLICABLE = (
    ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE,
)
FACT_ORDER = ("tls.protocols", "tls.weak_suites", "tls12.groups", "tls13.groups",
              "tls12.single_curve_refused", "tls.dhe_min_bits", "tls.rsa_key_exchange",
              "tls.compression", "tls.secure_renegotiation", "tls.fallback_scsv",
              # starttls.offered late: earlier hellos usually settle it
              "starttls.offered", "ftp.clear_login")


def protocols_fact(session: TlsSession) -> Fact:
    name = "tls.protocols"
    result = session.protocols()
    tried = [f"{v} {result.outcomes[v].describe()}" for v in PROTOCOL_ORDER
             if v in result.outcomes]
    summary = f"one hello per version, newest first ({result.handshakes} handshakes): " + (
        "; ".join(tried) or "none completed")
    if result.error:
        return result.failure().fact(name, summary)
    values = tuple(
        Observation(value=v, detail=result.outcomes[v].describe())
        for v in TLS_PROTOCOLS if result.accepted(v)
    )
    return Fact(name=name, status=COMPLETED, value=values, summary=summary)


def starttls_fact(session: TlsSession) -> Fact:
    name = "starttls.offered"
    protocol = session.target.protocol
    if not protocol.starttls:
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason=f"not a STARTTLS service ({protocol.value})")
    if session.starttls_done is None and session.starttls_refusal is None:
        if session.preamble_error is not None:
            return session.preamble_error.fact(name)
        try:
            session.open().sock.close()  # the plaintext exchange alone
        except StartTlsUnavailable:
            pass
        except ProbeFailure as exc:
            return exc.fact(name)
    if session.starttls_refusal is not None:
        return Fact(name=name, status=COMPLETED, value=False,
                    summary=str(session.starttls_refusal))
    return Fact(name=name, status=COMPLETED, value=True,
                summary=f"{session.starttls_done} (go-ahead for TLS received)")


def ftp_clear_login_fact(session: TlsSession) -> Fact:
    """One connection that sends USER before AUTH TLS (the server must refuse it)."""
    name = "ftp.clear_login"
    if session.target.protocol is not ServiceProtocol.FTP:
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason=f"not an FTP service ({session.target.protocol.value})")
    try:
        sock = session.ctx.connect(session.target)
    except ProbeFailure as exc:
        return exc.fact(name)
    wire = Wire(sock, session.ctx.timeout)
    try:
        accepted, reply = preambles.ftp_user_in_clear(wire)
        with contextlib.suppress(WireError):
            wire.send(b"QUIT\r\n")
    except ProbeFailure as exc:
        return exc.fact(name)
    except WireError as exc:
        return ProbeFailure(f"USER in clear text: {exc}", exc.category).fact(name)
    finally:
        sock.close()
    verdict = "accepted (a password would follow in clear)" if accepted else "refused"
    return Fact(name=name, status=COMPLETED, value=accepted,
                summary=f"USER sent before AUTH TLS: {verdict}, reply {reply}")


_BUILDERS: dict[str, Callable[[TlsSession], Fact]] = {
    "tls.protocols": protocols_fact,
    "tls.weak_suites": findings.weak_suites,
    "tls12.groups": lambda s: findings.groups(s, "TLSv1.2"),
    "tls13.groups": lambda s: findings.groups(s, "TLSv1.3"),
    "tls12.single_curve_refused": findings.single_curve_clients,
    "tls.dhe_min_bits": kx.dhe_min_bits,
    "tls.rsa_key_exchange": kx.rsa_key_exchange,
    "tls.compression": kx.compression,
    "tls.secure_renegotiation": kx.secure_renegotiation,
    "tls.fallback_scsv": kx.fallback_scsv,
    "starttls.offered": starttls_fact,
    "ftp.clear_login": ftp_clear_login_fact,
}


class TlsProbe:
    """Gathers TLS facts with as few connections as the wanted facts allow."""

    name = "tls"
    provides = frozenset(FACT_ORDER)

    def run(
        self,
        target: ProbeTarget,
        wanted: frozenset[str],
        ctx: ProbeContext,
        known: Mapping[str, Fact],
    ) -> list[Fact]:
        session = TlsSession.of(target, ctx)
        facts: list[Fact] = []
        for name in FACT_ORDER:
            if name not in wanted:
                continue
            try:
                facts.append(_BUILDERS[name](session))
            except StartTlsUnavailable as exc:
                facts.append(exc.fact(name))
        return facts
