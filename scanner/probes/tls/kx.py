"""Key exchange and protocol options (tls-hardening pack): one targeted hello per question.

DHE group size and RSA key exchange each take a hello that offers only those suites; the
compression question rides on those hellos (DEFLATE offered beside null); secure renegotiation
is read from the version hellos (they carry the renegotiation SCSV); the fallback question
takes one hello at the old version with TLS_FALLBACK_SCSV.
"""

from __future__ import annotations

from scanner.models import Fact, Phrase, ProbeStatus, ReasonCategory, say, summary
from scanner.probes.base import ProbeFailure
from scanner.probes.tls.hello import HelloOutcome, HelloSpec
from scanner.probes.tls.session import Protocols, TlsSession
from scanner.probes.tls.suites import (
    ALL_LEGACY_SUITES,
    DHE_SUITES,
    LEGACY_VERSIONS,
    RSA_KX_SUITES,
    TLS12_GROUPS,
)

COMPLETED, ERROR, NOT_APPLICABLE = (
    ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE,
)
_TARGETED = "tls.kx.targeted"  # session.memo key of the targeted hellos


def _failed(out: HelloOutcome, what: str) -> ProbeFailure:
    return ProbeFailure(f"{what}: {out.reason}", out.category or ReasonCategory.PROTOCOL_ERROR)


def _legacy(protocols: Protocols) -> list[str]:
    """Accepted versions up to TLS 1.2, newest first."""
    return [v for v in LEGACY_VERSIONS if protocols.accepted(v)]


def _precondition(session: TlsSession, name: str) -> tuple[Protocols, list[str]] | Fact:
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    legacy = _legacy(protocols)
    if not legacy:
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason="no protocol version up to TLS 1.2 accepted (TLS 1.3 only)",
                    why=say("reason.tls.tls13_only"))
    return protocols, legacy


class _Targeted:
    """The outcomes of the targeted hellos of this session, each sent at most once."""

    def __init__(self, session: TlsSession) -> None:
        self.session = session
        self.outcomes: dict[tuple[str, str], HelloOutcome] = {}

    @classmethod
    def of(cls, session: TlsSession) -> _Targeted:
        found = session.memo.get(_TARGETED)
        if isinstance(found, _Targeted):
            return found
        made = cls(session)
        session.memo[_TARGETED] = made
        return made

    def hello(self, kind: str, version: str) -> HelloOutcome:
        key = (kind, version)
        if key not in self.outcomes:
            suites = {"dhe": DHE_SUITES, "rsa": RSA_KX_SUITES, "any": ALL_LEGACY_SUITES}[kind]
            self.outcomes[key] = self.session.exchange(
                HelloSpec(version, suites, TLS12_GROUPS, compression=True))
        return self.outcomes[key]

    def accepted(self) -> list[HelloOutcome]:
        return [o for o in self.outcomes.values() if o.accepted]


def dhe_min_bits(session: TlsSession) -> Fact:
    """Size of the DH prime a client offering only DHE suites (and no ffdhe group) gets."""
    name = "tls.dhe_min_bits"
    pre = _precondition(session, name)
    if isinstance(pre, Fact):
        return pre
    _, legacy = pre
    steps: list[Phrase] = []
    sizes: list[tuple[int, str, str]] = []
    for version in legacy:
        out = _Targeted.of(session).hello("dhe", version)
        if out.status == "error":
            return _failed(out, f"DHE hello under {version}").fact(name)
        steps.append(say("summary.tls.dhe_step", out.phrase(), version=version,
                         bits=out.dh_bits) if out.dh_bits else
                     say("summary.tls.version_step", out.phrase(), version=version))
        if out.accepted:
            if out.dh_bits is None:
                return ProbeFailure(
                    f"{version}: accepted {out.suite} but sent no DH parameters").fact(name)
            sizes.append((out.dh_bits, out.suite or "?", out.version or "?"))
            break  # the server's DH parameters do not depend on the version
    if not sizes:
        return Fact(name=name, status=NOT_APPLICABLE,
                    summary=summary(say("summary.tls.dhe", *steps)),
                    reason="no DHE suite accepted", why=say("reason.tls.no_dhe"))
    bits, suite, version = min(sizes)
    return Fact(name=name, status=COMPLETED, value=bits, summary=summary(
        say("summary.tls.dhe_where", *steps, suite=suite, version=version)))


def rsa_key_exchange(session: TlsSession) -> Fact:
    """Does any version up to TLS 1.2 accept a suite with RSA key transport?"""
    name = "tls.rsa_key_exchange"
    pre = _precondition(session, name)
    if isinstance(pre, Fact):
        return pre
    protocols, legacy = pre
    for version in legacy:
        base = protocols.outcomes[version]
        if (base.suite or "").startswith("TLS_RSA_WITH_"):
            return Fact(name=name, status=COMPLETED, value=True, summary=summary(
                say("summary.tls.rsa_version_hello", version=version, suite=base.suite or "")))
    steps: list[Phrase] = []
    for version in legacy:
        out = _Targeted.of(session).hello("rsa", version)
        if out.status == "error":
            return _failed(out, f"RSA hello under {version}").fact(name)
        steps.append(say("summary.tls.version_step", out.phrase(), version=version))
        if out.accepted:
            return Fact(name=name, status=COMPLETED, value=True,
                        summary=summary(say("summary.tls.rsa", *steps)))
    return Fact(name=name, status=COMPLETED, value=False,
                summary=summary(say("summary.tls.rsa_each", *steps)))


def compression(session: TlsSession) -> Fact:
    """Does the server choose DEFLATE when offered beside null? (Reuses the targeted hellos.)"""
    name = "tls.compression"
    pre = _precondition(session, name)
    if isinstance(pre, Fact):
        return pre
    _, legacy = pre
    targeted = _Targeted.of(session)
    seen = targeted.accepted()
    if not seen:
        out = targeted.hello("any", legacy[0])
        if out.status == "error":
            return _failed(out, f"compression hello under {legacy[0]}").fact(name)
        if not out.accepted:
            return ProbeFailure(
                f"{legacy[0]} hello offering DEFLATE was {out.describe()}, though the version "
                "hello was accepted").fact(name)
        seen = [out]
    chosen = [o for o in seen if o.compression]
    shown = [say("summary.tls.compression_step", version=o.version or "?", suite=o.suite or "?",
                 method="DEFLATE" if o.compression else "null") for o in seen]
    return Fact(name=name, status=COMPLETED, value=bool(chosen),
                summary=summary(say("summary.tls.compression", *shown)))


def secure_renegotiation(session: TlsSession) -> Fact:
    """RFC 5746: the version hellos carry the renegotiation SCSV; the answer shows support."""
    name = "tls.secure_renegotiation"
    pre = _precondition(session, name)
    if isinstance(pre, Fact):
        return pre
    protocols, legacy = pre
    missing = [v for v in legacy if not protocols.outcomes[v].renegotiation_info]
    if missing:
        return Fact(name=name, status=COMPLETED, value=False, summary=summary(
            say("summary.tls.renegotiation_missing", missing=missing, accepted=legacy)))
    return Fact(name=name, status=COMPLETED, value=True, summary=summary(
        say("summary.tls.renegotiation", accepted=legacy)))


def fallback_scsv(session: TlsSession) -> Fact:
    """RFC 7507: a hello at TLS 1.1/1.0 marked as a fallback must be refused."""
    name = "tls.fallback_scsv"
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    old = [v for v in ("TLSv1.1", "TLSv1.0") if protocols.accepted(v)]
    newer = [v for v in ("TLSv1.3", "TLSv1.2") if protocols.accepted(v)]
    if not old or not newer:
        return Fact(name=name, status=NOT_APPLICABLE, reason=(
            "TLS 1.0/1.1 refused" if not old else f"{old[0]} is the newest version accepted: "
            "no downgrade to refuse"), why=say("reason.tls.old_refused") if not old else
            say("reason.tls.no_downgrade", version=old[0]))
    out = session.exchange(HelloSpec(old[0], ALL_LEGACY_SUITES, TLS12_GROUPS, fallback=True))
    what = f"{old[0]} hello with TLS_FALLBACK_SCSV (the server accepts {newer[0]})"
    if out.status == "error":
        return _failed(out, what).fact(name)
    if out.accepted:
        return Fact(name=name, status=COMPLETED, value=False, summary=summary(
            say("summary.tls.fallback", out.phrase(), old=old[0], newer=newer[0])))
    if out.reason == "alert inappropriate_fallback":
        return Fact(name=name, status=COMPLETED, value=True, summary=summary(
            say("summary.tls.fallback_refused", old=old[0], newer=newer[0])))
    return ProbeFailure(
        f"{what}: {out.describe()}, not with inappropriate_fallback, though the same hello "
        "without the SCSV was accepted").fact(name)
