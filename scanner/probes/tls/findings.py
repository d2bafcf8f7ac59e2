"""Set-valued TLS facts: weak suite categories and key-exchange groups."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from scanner.facts import GROUPS, WEAK_CATEGORIES
from scanner.models import Fact, Observation, ProbeStatus, ReasonCategory
from scanner.probes.base import ProbeFailure
from scanner.probes.tls.hello import HelloOutcome, HelloSpec
from scanner.probes.tls.session import TlsSession
from scanner.probes.tls.sslv2 import spec_categories
from scanner.probes.tls.suites import (
    ECDHE_SUITES,
    GROUP_CODES,
    HELLO_GROUPS,
    LEGACY_VERSIONS,
    P_CURVES,
    SUITES,
    TLS12_GROUPS,
    TLS13_GROUPS,
    TLS13_SUITES,
    WEAK_SUITES,
    categories,
)

COMPLETED, ERROR, NOT_APPLICABLE = (
    ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE,
)


def _still_useful(pool: tuple[int, ...], found: dict[str, list[str]]) -> tuple[int, ...]:
    """Suites that could still show a category not seen yet."""
    return tuple(c for c in pool if not set(categories(SUITES[c])) <= found.keys())


def weak_suites(session: TlsSession) -> Fact:
    """All weak suites at once per accepted version <= 1.2; drop each accepted one, repeat."""
    name = "tls.weak_suites"
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    found: dict[str, list[str]] = {}
    notes: list[str] = []
    for version in LEGACY_VERSIONS:
        if not protocols.accepted(version):
            continue
        pool = _still_useful(WEAK_SUITES, found)
        offered, steps, start = len(pool), [], session.handshakes
        while pool:
            out = session.exchange(HelloSpec(version, pool, HELLO_GROUPS, full_flight=False))
            if out.status == "error":
                return Fact(name=name, status=ERROR, category=out.category,
                            reason=f"weak-suite hello under {version}: {out.reason}")
            if not out.accepted or out.suite is None:
                steps.append(out.describe())
                break
            steps.append(f"accepted {out.suite}")
            for cat in categories(out.suite):
                found.setdefault(cat, []).append(f"{out.suite} under {out.version}")
            pool = _still_useful(tuple(c for c in pool if SUITES[c] != out.suite), found)
        else:
            steps.append("stopped: no further category to find")
        count = session.handshakes - start
        if offered:
            notes.append(f"offered {offered} weak suites under {version} in {count} "
                         f"handshake{'s' if count > 1 else ''}: {', then '.join(steps)}")
    ssl2 = protocols.outcomes.get("SSLv2")
    if ssl2 is not None and ssl2.accepted:
        for spec in ssl2.ssl2_ciphers:
            for cat in spec_categories(spec):
                found.setdefault(cat, []).append(f"{spec} under SSLv2")
        notes.append(f"SSL 2.0 server listed {len(ssl2.ssl2_ciphers)} cipher specs")
    if not notes:
        notes.append("no protocol version up to TLS 1.2 accepted; nothing to offer")
    values = tuple(
        Observation(value=cat, detail="; ".join(found[cat]))
        for cat in WEAK_CATEGORIES if cat in found
    )
    return Fact(name=name, status=COMPLETED, value=values, summary="; ".join(notes))


def _group_error(out: HelloOutcome, version: str, offered: tuple[str, ...]
                 ) -> ProbeFailure | None:
    """Why an answer to a group hello proves nothing (fail closed), else None."""
    if out.status == "error":
        return ProbeFailure(out.reason, out.category or ReasonCategory.PROTOCOL_ERROR)
    if not out.accepted:
        return None
    if out.version != version:
        return ProbeFailure(f"answered a {version} hello with {out.version}")
    if out.group is None:
        return ProbeFailure(f"accepted {out.suite} but named no key-exchange group")
    if out.group not in offered:
        return ProbeFailure(f"chose group {out.group}, which was not offered")
    return None


def _cert_curve(out: HelloOutcome) -> str | None:
    """The curve of an ECDSA leaf: TLS 1.2 servers need it among the offered groups."""
    try:
        key = x509.load_der_x509_certificate(out.chain[0]).public_key() if out.chain else None
    except ValueError:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in TLS12_GROUPS:
        return key.curve.name
    return None


def groups(session: TlsSession, version: str) -> Fact:
    """Which groups the server uses for key exchange; cached per version."""
    name = "tls13.groups" if version == "TLSv1.3" else "tls12.groups"
    if name not in session.facts:
        session.facts[name] = _groups(session, version, name)
    return session.facts[name]


def _ecdhe(suite: str | None) -> bool:
    return (suite or "").startswith(("TLS_ECDHE_RSA_", "TLS_ECDHE_ECDSA_"))


def _groups(session: TlsSession, version: str, name: str) -> Fact:
    tls13 = version == "TLSv1.3"
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    if not protocols.accepted(version):
        return Fact(name=name, status=NOT_APPLICABLE,
                    reason=f"{'TLS 1.3' if tls13 else 'TLS 1.2'} not accepted")
    suites = tuple(TLS13_SUITES) if tls13 else ECDHE_SUITES
    base = protocols.outcomes[version]
    # Under TLS 1.2 an ECDSA certificate's curve C must be among the offered groups (RFC 8422
    # 5.1): each other curve is offered first with C beside it, and the server's pick read.
    bound = None if tls13 else _cert_curve(base)
    known: dict[str, str] = {}
    if base.group in GROUP_CODES and (tls13 or _ecdhe(base.suite)):
        known[base.group] = f"chosen in the {version} version hello with {base.suite}"
    alone = P_CURVES + ((bound,) if bound and bound not in P_CURVES else ())
    if bound:  # the certificate's curve first: every other hello offers it too
        alone = (bound, *(c for c in alone if c != bound))
    not_chosen: list[str] = []
    steps: list[str] = []
    start = session.handshakes

    def attempt(offer: tuple[str, ...]) -> HelloOutcome | ProbeFailure:
        out = session.exchange(HelloSpec(version, suites, offer))
        return _group_error(out, version, offer) or out

    for curve in alone:
        if curve in known:
            continue
        offer = (curve,) if bound in (None, curve) else (curve, bound)
        out = attempt(offer)
        shown = " then ".join(offer)
        if isinstance(out, ProbeFailure):
            return out.within(f"{version} hello offering {shown}").fact(name)
        if not out.accepted:
            steps.append(f"{shown}: {out.describe()}")
            continue
        assert out.group is not None
        how = "offered alone" if len(offer) == 1 else f"offered first, beside {bound}"
        known.setdefault(out.group, f"{how}, chosen with {out.suite}" + (
            " (HelloRetryRequest)" if out.retry else ""))
        if out.group == curve:
            steps.append(f"{shown}: {curve} chosen")
        else:
            not_chosen.append(curve)
            steps.append(f"{shown}: {curve} not chosen, server prefers {out.group}")
    tail = (bound,) if bound else ()
    pool = tuple(g for g in (TLS13_GROUPS if tls13 else TLS12_GROUPS)
                 if g not in alone and g not in known)
    others: list[str] = []
    while pool:
        out = attempt((*pool, *tail))
        if isinstance(out, ProbeFailure):
            return out.within(f"{version} hello offering {len(pool)} groups").fact(name)
        if not out.accepted or out.group is None:
            others.append(out.describe())
            break
        if out.group not in pool:
            others.append(f"{out.group} chosen: server prefers it to all of them")
            break
        known[out.group] = f"chosen among {len(pool)} offered groups with {out.suite}"
        others.append(f"{out.group} accepted")
        pool = tuple(g for g in pool if g != out.group)
    steps.append("the other groups together" + (f" (then {bound})" if bound else "") + ": "
                 + ", then ".join(others or ["none left"]))
    summary = (f"{version} hellos offering {'TLS 1.3' if tls13 else 'ECDHE'} suites, "
               f"{session.handshakes - start} handshakes: " + "; ".join(steps))
    if base.group in known and known[base.group].startswith("chosen in the"):
        summary += f"; {base.group} known from the {version} version hello"
    if bound:
        summary += (f"; the certificate is ECDSA on {bound}, so every hello offered {bound} "
                    "too (RFC 8422 5.1)")
    if not_chosen:
        summary += (f"; not proven for {', '.join(not_chosen)}: not chosen, server prefers "
                    f"{bound}")
    values = tuple(Observation(value=g, detail=known[g]) for g in GROUPS if g in known)
    return Fact(name=name, status=COMPLETED, value=values, summary=summary)


def single_curve_clients(session: TlsSession) -> Fact:
    """TLS 1.2 clients offering one P-curve only that the certificate's curve shuts out."""
    name = "tls12.single_curve_refused"
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    if not protocols.accepted("TLSv1.2"):
        return Fact(name=name, status=NOT_APPLICABLE, reason="TLS 1.2 not accepted")
    bound = _cert_curve(protocols.outcomes["TLSv1.2"])
    if bound is None:
        return Fact(name=name, status=COMPLETED, value=(),
                    summary="the certificate is not ECDSA: the curve list does not bind it")
    refused: list[Observation] = []
    steps: list[str] = []
    for curve in (c for c in P_CURVES if c != bound):
        out = session.exchange(HelloSpec("TLSv1.2", ECDHE_SUITES, (curve,)))
        error = _group_error(out, "TLSv1.2", (curve,))
        if error:
            return error.within(f"TLSv1.2 hello offering only {curve}").fact(name)
        steps.append(f"{curve} alone {out.describe()}")
        if not out.accepted:
            refused.append(Observation(value=curve, detail=(
                f"a client offering only {curve} is refused ({out.reason}): the certificate "
                f"is ECDSA on {bound}")))
    summary = (f"the certificate is ECDSA on {bound} (RFC 8422 5.1: a TLS 1.2 client must offer "
               f"its curve); each other P-curve offered alone: " + "; ".join(steps))
    return Fact(name=name, status=COMPLETED, value=tuple(refused), summary=summary)
