"""The `tls` probe: protocol versions, weak suites, groups and STARTTLS, from crafted hellos."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from scanner.facts import (
    GROUPS,
    STARTTLS_SERVICES,
    TLS_PROTOCOLS,
    WEAK_CATEGORIES,
    FactKind,
    FactSpec,
)
from scanner.models import Fact, Observation, ProbeStatus, ServiceProtocol, say, summary
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeInputs, ProbeTarget
from scanner.probes.tls import findings, kx, preambles
from scanner.probes.tls.session import PROTOCOL_ORDER, TLS_SESSION, TlsSession
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
    tried = [say("summary.tls.version_step", result.outcomes[v].phrase(), version=v)
             for v in PROTOCOL_ORDER if v in result.outcomes]
    how = summary(say("summary.tls.versions", *tried, n=result.handshakes) if tried
                  else say("summary.tls.versions_none", n=result.handshakes))
    if result.error:
        return result.failure().fact(name, how)
    values = tuple(
        Observation(value=v, detail=result.outcomes[v].describe(),
                    said=result.outcomes[v].phrase())
        for v in TLS_PROTOCOLS if result.accepted(v)
    )
    return Fact(name=name, status=COMPLETED, value=values, summary=how)


def starttls_fact(session: TlsSession) -> Fact:
    name = "starttls.offered"
    protocol = session.target.protocol
    if not protocol.starttls:
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason=f"not a STARTTLS service ({protocol.value})",
                    why=say("reason.tls.not_starttls", protocol=protocol.value))
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
                    summary=summary(say("summary.starttls.refused",
                                        refusal=str(session.starttls_refusal))))
    return Fact(name=name, status=COMPLETED, value=True,
                summary=summary(say("summary.starttls.done", protocol=str(session.starttls_done))))


def ftp_clear_login_fact(session: TlsSession) -> Fact:
    """One connection that sends USER before AUTH TLS (the server must refuse it)."""
    name = "ftp.clear_login"
    if session.target.protocol is not ServiceProtocol.FTP:
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason=f"not an FTP service ({session.target.protocol.value})",
                    why=say("reason.tls.not_ftp", protocol=session.target.protocol.value))
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
    verdict = "accepted" if accepted else "refused"
    return Fact(name=name, status=COMPLETED, value=accepted,
                summary=summary(say(f"summary.ftp.user_{verdict}", reply=reply)))


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


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("tls.protocols", FactKind.SET, "tls",
             "Protocol versions the server accepts, SSL 2.0 to TLS 1.3", TLS_PROTOCOLS),
    FactSpec("tls.weak_suites", FactKind.SET, "tls",
             "Weak cipher-suite categories accepted under any version up to TLS 1.2 "
             "(detail: the suite and version)", WEAK_CATEGORIES),
    FactSpec("tls12.groups", FactKind.SET, "tls",
             "Key-exchange groups (curves) the server accepts for ECDHE under TLS 1.2", GROUPS),
    FactSpec("tls13.groups", FactKind.SET, "tls",
             "Key-exchange groups the server accepts under TLS 1.3", GROUPS),
    FactSpec("tls12.single_curve_refused", FactKind.SET, "tls",
             "P-curves with which a TLS 1.2 client offering only that curve cannot connect "
             "because the ECDSA certificate is on another curve (RFC 8422 5.1)", GROUPS),
    FactSpec("tls.dhe_min_bits", FactKind.INT, "tls",
             "Size in bits of the finite-field DH prime the server uses with DHE suites "
             "(a client offering no ffdhe group); not applicable without DHE"),
    FactSpec("tls.rsa_key_exchange", FactKind.BOOL, "tls",
             "A suite with RSA key transport (no forward secrecy) is accepted up to TLS 1.2"),
    FactSpec("tls.compression", FactKind.BOOL, "tls",
             "The server chooses DEFLATE TLS compression when a client offers it"),
    FactSpec("tls.secure_renegotiation", FactKind.BOOL, "tls",
             "The server supports secure renegotiation (RFC 5746 renegotiation_info)"),
    FactSpec("tls.fallback_scsv", FactKind.BOOL, "tls",
             "A TLS 1.0/1.1 hello marked TLS_FALLBACK_SCSV is refused (RFC 7507) where a newer "
             "version is accepted"),
    FactSpec("starttls.offered", FactKind.BOOL, "tls",
             "The plaintext service advertises and performs STARTTLS",
             services=STARTTLS_SERVICES),
    FactSpec("ftp.clear_login", FactKind.BOOL, "tls",
             "The FTP server accepts USER before AUTH TLS (credentials would travel in clear)",
             services=frozenset({ServiceProtocol.FTP})),
)


class TlsProbe:
    """Gathers TLS facts with as few connections as the wanted facts allow."""

    name = "tls"
    facts = FACT_SPECS
    needs = ()
    makes = (TLS_SESSION,)
    provides = frozenset(FACT_ORDER)

    def run(
        self,
        target: ProbeTarget,
        wanted: frozenset[str],
        ctx: ProbeContext,
        inputs: ProbeInputs,
    ) -> list[Fact]:
        session = TlsSession(target, ctx)
        inputs.publish(TLS_SESSION, session)
        facts: list[Fact] = []
        for name in FACT_ORDER:
            if name not in wanted:
                continue
            try:
                facts.append(_BUILDERS[name](session))
            except StartTlsUnavailable as exc:
                facts.append(exc.fact(name))
        return facts
