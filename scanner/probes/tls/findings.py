"""Set-valued TLS facts: weak suite categories and key-exchange groups."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from scanner.facts import GROUPS, WEAK_CATEGORIES
from scanner.models import Fact, Observation, Phrase, ProbeStatus, ReasonCategory, say, summary
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
    found_said: dict[str, list[Phrase]] = {}
    notes: list[Phrase] = []
    for version in LEGACY_VERSIONS:
        if not protocols.accepted(version):
            continue
        pool = _still_useful(WEAK_SUITES, found)
        offered, steps, start = len(pool), list[Phrase](), session.handshakes
        while pool:
            out = session.exchange(HelloSpec(version, pool, HELLO_GROUPS, full_flight=False))
            if out.status == "error":
                return Fact(name=name, status=ERROR, category=out.category,
                            reason=f"weak-suite hello under {version}: {out.reason}")
            if not out.accepted or out.suite is None:
                steps.append(out.phrase())
                break
            steps.append(say("summary.tls.weak.accepted", suite=out.suite))
            for cat in categories(out.suite):
                found.setdefault(cat, []).append(f"{out.suite} under {out.version}")
                found_said.setdefault(cat, []).append(say(
                    "obs.tls.suite_under", suite=out.suite, version=out.version or "?"))
            pool = _still_useful(tuple(c for c in pool if SUITES[c] != out.suite), found)
        else:
            steps.append(say("summary.tls.weak.stopped"))
        count = session.handshakes - start
        if offered:
            notes.append(say("summary.tls.weak.offered", *steps, join="then", suites=offered,
                             version=version, n=count))
    ssl2 = protocols.outcomes.get("SSLv2")
    if ssl2 is not None and ssl2.accepted:
        for spec in ssl2.ssl2_ciphers:
            for cat in spec_categories(spec):
                found.setdefault(cat, []).append(f"{spec} under SSLv2")
                found_said.setdefault(cat, []).append(say(
                    "obs.tls.suite_under", suite=spec, version="SSLv2"))
        notes.append(say("summary.tls.weak.ssl2", n=len(ssl2.ssl2_ciphers)))
    if not notes:
        notes.append(say("summary.tls.weak.none"))
    values = tuple(
        Observation(value=cat, detail="; ".join(found[cat]),
                    said=say("obs.tls.list", *found_said[cat]))
        for cat in WEAK_CATEGORIES if cat in found
    )
    return Fact(name=name, status=COMPLETED, value=values, summary=summary(*notes))


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
                    reason=f"{'TLS 1.3' if tls13 else 'TLS 1.2'} not accepted",
                    why=say("reason.tls.not_accepted", version="TLS 1.3" if tls13 else "TLS 1.2"))
    suites = tuple(TLS13_SUITES) if tls13 else ECDHE_SUITES
    base = protocols.outcomes[version]
    # Under TLS 1.2 an ECDSA certificate's curve C must be among the offered groups (RFC 8422
    # 5.1): each other curve is offered first with C beside it, and the server's pick read.
    bound = None if tls13 else _cert_curve(base)
    known: dict[str, str] = {}
    known_said: dict[str, Phrase] = {}
    if base.group in GROUP_CODES and (tls13 or _ecdhe(base.suite)):
        known[base.group] = f"chosen in the {version} version hello with {base.suite}"
        known_said[base.group] = say("obs.tls.group_base", version=version,
                                     suite=base.suite or "?")
    alone = P_CURVES + ((bound,) if bound and bound not in P_CURVES else ())
    if bound:  # the certificate's curve first: every other hello offers it too
        alone = (bound, *(c for c in alone if c != bound))
    not_chosen: list[str] = []
    steps: list[Phrase] = []
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
            steps.append(say("summary.tls.groups.outcome", out.phrase(), offer=offer))
            continue
        assert out.group is not None
        how = "offered alone" if len(offer) == 1 else f"offered first, beside {bound}"
        if out.group not in known:
            known_said[out.group] = say(
                "obs.tls.group_" + ("alone" if len(offer) == 1 else "beside")
                + ("_hrr" if out.retry else ""), suite=out.suite or "?", bound=bound or "")
        known.setdefault(out.group, f"{how}, chosen with {out.suite}" + (
            " (HelloRetryRequest)" if out.retry else ""))
        if out.group == curve:
            steps.append(say("summary.tls.groups.chosen", offer=offer, curve=curve))
        else:
            not_chosen.append(curve)
            steps.append(say("summary.tls.groups.not_chosen", offer=offer, curve=curve,
                             group=out.group))
    tail = (bound,) if bound else ()
    pool = tuple(g for g in (TLS13_GROUPS if tls13 else TLS12_GROUPS)
                 if g not in alone and g not in known)
    others: list[Phrase] = []
    while pool:
        out = attempt((*pool, *tail))
        if isinstance(out, ProbeFailure):
            return out.within(f"{version} hello offering {len(pool)} groups").fact(name)
        if not out.accepted or out.group is None:
            others.append(out.phrase())
            break
        if out.group not in pool:
            others.append(say("summary.tls.groups.pool_preferred", group=out.group))
            break
        known[out.group] = f"chosen among {len(pool)} offered groups with {out.suite}"
        known_said[out.group] = say("obs.tls.group_pool", n=len(pool), suite=out.suite or "?")
        others.append(say("summary.tls.groups.pool_accepted", group=out.group))
        pool = tuple(g for g in pool if g != out.group)
    steps.append(say("summary.tls.groups.others_bound" if bound else "summary.tls.groups.others",
                     *(others or [say("summary.tls.groups.none_left")]), join="then",
                     bound=bound or ""))
    clauses = [say("summary.tls.groups", *steps, version=version,
               suites="TLS 1.3" if tls13 else "ECDHE", n=session.handshakes - start)]
    if base.group in known and known[base.group].startswith("chosen in the"):
        clauses.append(say("summary.tls.groups.base", group=base.group, version=version))
    if bound:
        clauses.append(say("summary.tls.groups.bound", bound=bound))
    if not_chosen:
        clauses.append(say("summary.tls.groups.not_proven", groups=not_chosen, bound=bound or ""))
    values = tuple(Observation(value=g, detail=known[g], said=known_said.get(g))
                   for g in GROUPS if g in known)
    return Fact(name=name, status=COMPLETED, value=values, summary=summary(*clauses))


def single_curve_clients(session: TlsSession) -> Fact:
    """TLS 1.2 clients offering one P-curve only that the certificate's curve shuts out."""
    name = "tls12.single_curve_refused"
    protocols = session.protocols()
    if protocols.error:
        return protocols.failure("protocol versions unknown").fact(name)
    if not protocols.accepted("TLSv1.2"):
        return Fact(name=name, status=NOT_APPLICABLE, reason="TLS 1.2 not accepted",
                    why=say("reason.tls.not_accepted", version="TLS 1.2"))
    bound = _cert_curve(protocols.outcomes["TLSv1.2"])
    if bound is None:
        return Fact(name=name, status=COMPLETED, value=(),
                    summary=summary(say("summary.tls.curve.not_ecdsa")))
    refused: list[Observation] = []
    steps: list[Phrase] = []
    for curve in (c for c in P_CURVES if c != bound):
        out = session.exchange(HelloSpec("TLSv1.2", ECDHE_SUITES, (curve,)))
        error = _group_error(out, "TLSv1.2", (curve,))
        if error:
            return error.within(f"TLSv1.2 hello offering only {curve}").fact(name)
        steps.append(say("summary.tls.curve.alone", out.phrase(), curve=curve))
        if not out.accepted:
            refused.append(Observation(value=curve, detail=(
                f"a client offering only {curve} is refused ({out.reason}): the certificate "
                f"is ECDSA on {bound}"), said=say("obs.tls.curve_refused", curve=curve,
                                                  reason=out.reason, bound=bound)))
    return Fact(name=name, status=COMPLETED, value=tuple(refused),
                summary=summary(say("summary.tls.curve", *steps, bound=bound)))
