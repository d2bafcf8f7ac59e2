"""The `spf` probe: RFC 7208 check_host(ip, domain, postmaster@domain) for each sending IP.

Our own evaluator on dnspython: pyspf sends every look-up through dnspython's module-wide
default resolver (no server:port without patching it process-wide), is unmaintained since 2020
and reports only the top-level mechanism. `ptr` never matches here (RFC 7208 5.5: SHOULD NOT be
used) but counts as a look-up; `exp=` is ignored; %{h} is the domain, %{p} is "unknown".
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from scanner import netaddr
from scanner.facts import SPF_RESULTS, FactKind, FactSpec
from scanner.models import (
    Fact,
    MailDomain,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.spf_record import Ip, SpfError, TempError, Term, expand, parse_record

if TYPE_CHECKING:  # dnspython is imported on use: the probe catalogue is loaded by every scan
    import dns.resolver

MAX_LOOKUPS, MAX_VOID, MAX_MX = 10, 2, 10  # RFC 7208 4.6.4


class Lookups:
    """DNS queries of one probe run, cached, each bounded by the timeout and the deadline."""

    def __init__(self, resolver: dns.resolver.Resolver, timeout: float, deadline: float):
        self.resolver, self.timeout, self.deadline = resolver, timeout, deadline
        self.cache: dict[tuple[str, str], list[str] | TempError] = {}
        self.asked: list[str] = []

    def query(self, name: str, rdtype: str) -> list[str]:
        """Answer texts; [] for NXDOMAIN or no data; TempError for anything else."""
        key = (name.lower().rstrip("."), rdtype)
        if key not in self.cache:
            self.cache[key] = self._ask(*key)
        hit = self.cache[key]
        if isinstance(hit, TempError):
            raise TempError(hit.message, unreachable=hit.unreachable, timed_out=hit.timed_out)
        return hit

    def _ask(self, name: str, rdtype: str) -> list[str] | TempError:
        import dns.exception
        import dns.name
        import dns.resolver

        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException:
            return []  # not a valid DNS name: nothing there
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeFailure("service time budget exhausted during SPF evaluation",
                               ReasonCategory.BUDGET_EXHAUSTED, say("reason.budget.spf"))
        self.asked.append(f"{rdtype} {name}")
        try:
            ans = self.resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False,
                                        lifetime=min(self.timeout, remaining))
        except dns.resolver.NXDOMAIN:
            return []
        except dns.resolver.LifetimeTimeout:
            return TempError(f"DNS timeout for {rdtype} {name}", unreachable=True,
                             timed_out=True)
        except dns.resolver.NoNameservers as exc:
            errors = exc.kwargs.get("errors") or []
            down = bool(errors) and all(isinstance(e[3], OSError | EOFError) for e in errors)
            why = "no DNS server reachable" if down else "DNS server failure"
            return TempError(f"{why} for {rdtype} {name}", unreachable=down)
        except dns.exception.DNSException as exc:
            return TempError(f"DNS error for {rdtype} {name}: {exc}")
        if rdtype == "TXT":
            return [b"".join(getattr(r, "strings", ())).decode("latin-1") for r in ans]
        return [r.to_text() for r in ans]


class CheckHost:
    """One check_host() evaluation: its look-up and void-look-up counters span all includes."""

    def __init__(self, dns_: Lookups, ip: Ip, sender: str):
        self.dns, self.ip, self.sender = dns_, ip, sender
        self.lookups = self.voids = 0
        self.ptr_seen = False

    def run(self, domain: str) -> tuple[str, str, tuple[str, ...]]:
        """(result, deciding mechanism or reason, include/redirect path); raises SpfError."""
        records = [r for r in self.dns.query(domain, "TXT") if re.match(r"v=spf1( |$)", r, re.I)]
        if not records:
            return "none", f"no SPF record at {domain}", ()
        if len(records) > 1:
            raise SpfError(f"{len(records)} v=spf1 records at {domain}")
        terms, redirect = parse_record(records[0])
        for term in terms:
            hit = self._match(term, domain)
            if hit is not None:
                return term.result, hit[0], hit[1]
        if redirect is None:
            return "neutral", "no mechanism matched (default neutral)", ()
        via = f"redirect={redirect}"
        target = self._count(via, redirect, domain)
        result, why, chain = self._nested(via, target)
        if result == "none":
            raise SpfError(f"{via} leads to no SPF record")
        return result, why, (via, *chain)

    def _count(self, text: str, spec: str | None, domain: str) -> str:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise SpfError(f"more than {MAX_LOOKUPS} DNS look-ups ({text} is look-up "
                           f"{self.lookups})")
        return expand(spec, self.ip, self.sender, domain) if spec else domain

    def _void(self, rdtype: str, name: str, found: list[str]) -> list[str]:
        if not found:
            self.voids += 1
            if self.voids > MAX_VOID:
                raise SpfError(f"more than {MAX_VOID} void look-ups ({rdtype} {name} is empty)")
        return found

    def _nested(self, text: str, target: str) -> tuple[str, str, tuple[str, ...]]:
        try:
            return self.run(target)
        except SpfError as exc:
            exc.chain = (text, *exc.chain)
            raise

    def _addresses(self, name: str) -> list[str]:
        return self.dns.query(name, "A" if self.ip.version == 4 else "AAAA")

    def _in(self, addr: str, term: Term) -> bool:
        bits = term.cidr4 if self.ip.version == 4 else term.cidr6
        return self.ip in ipaddress.ip_network(f"{addr}/{bits}", strict=False)

    def _match(self, term: Term, domain: str) -> tuple[str, tuple[str, ...]] | None:
        """(what matched, path) when the term matches; None when it does not."""
        if term.name == "all":
            return term.text, ()
        if term.net is not None:
            return (term.text, ()) if self.ip in term.net else None
        target = self._count(term.text, term.spec, domain)
        if term.name == "include":
            result, why, chain = self._nested(term.text, target)
            if result == "none":
                raise SpfError(f"{term.text} leads to no SPF record")
            return (why, (term.text, *chain)) if result == "pass" else None
        if term.name == "ptr":
            self.ptr_seen = True
            return None
        if term.name == "exists":
            return (term.text, ()) if self._void("A", target, self.dns.query(target, "A")) else None
        if term.name == "a":
            found = self._void("A" if self.ip.version == 4 else "AAAA", target,
                               self._addresses(target))
            return next(((f"{term.text} ({a})", ()) for a in found if self._in(a, term)), None)
        mxs = self._void("MX", target, self.dns.query(target, "MX"))
        if len(mxs) > MAX_MX:
            raise SpfError(f"{term.text}: more than {MAX_MX} MX records at {target}")
        for mx in sorted(mxs, key=lambda t: int(t.split()[0])):
            host = mx.split()[1].rstrip(".")
            for a in self._addresses(host) if host else ():  # "." is a null MX
                if self._in(a, term):
                    return f"{term.text} ({host} {a})", ()
        return None


def parse_server(server: str) -> tuple[str, int]:
    """"192.0.2.53", "127.0.0.1:5353", "::1" or "[::1]:5353" -> (address, port)."""
    try:
        return netaddr.parse_server(server, 53)
    except ValueError as exc:
        raise ProbeFailure(f"dns_server: {exc}", ReasonCategory.BAD_INPUT) from None


def resolver_said(server: str | None, resolver: dns.resolver.Resolver) -> Phrase:
    """`make_resolver`'s name of the resolver, in the reports' words."""
    if server is None:
        return say("summary.dns.system", servers=[str(n) for n in resolver.nameservers])
    return say("summary.dns.server", server=server)


def make_resolver(server: str | None, timeout: float) -> tuple[dns.resolver.Resolver, str]:
    """A resolver for "address[:port]" ("[v6]:port" too), or the system's; and how to name it."""
    import dns.exception
    import dns.nameserver
    import dns.resolver

    if server is None:
        try:
            res = dns.resolver.Resolver()
        except dns.exception.DNSException as exc:
            raise ProbeFailure(f"no system DNS resolver configured: {exc}",
                               ReasonCategory.TOOL_MISSING) from exc
        shown = "the system resolver (" + ", ".join(str(n) for n in res.nameservers) + ")"
    else:
        addr, port = parse_server(server)
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [dns.nameserver.Do53Nameserver(addr, port)]
        shown = f"DNS server {server}"
    res.timeout = res.lifetime = timeout
    res.cache = None
    return res, shown


def evaluate(domain: str, ips: tuple[str, ...], lookups: Lookups) -> list[Observation]:
    """One observation per IP: its result and what decided it."""
    sender, out = f"postmaster@{domain}", []
    for text in ips:
        raw = ipaddress.ip_address(text)
        ip = raw.ipv4_mapped or raw if isinstance(raw, ipaddress.IPv6Address) else raw
        check = CheckHost(lookups, ip, sender)
        try:
            result, why, chain = check.run(domain)
            if chain:
                why += " via " + " > ".join(chain)
        except SpfError as exc:
            result, why = exc.result, exc.message
            if exc.chain:
                why += ", via " + " > ".join(exc.chain)
        if check.ptr_seen and result != "pass":
            why += "; ptr not evaluated"
        out.append(Observation(value=result, detail=f"{text}: {result} ({why})"))
    return out


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("spf.results", FactKind.SET, "spf",
             "SPF check_host() result for each sending IP of the domain (detail: the IP and "
             "the mechanism that decided)", SPF_RESULTS, services=frozenset({ServiceProtocol.SPF})),
)


class SpfProbe:
    """SPF check_host() results of a sending domain for each of its sending IPs."""

    name = "spf"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset({"spf.results"})

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        if "spf.results" not in wanted:
            return []
        try:
            mail = target.subject_as(MailDomain)
            domain, ips = mail.domain.rstrip("."), mail.ips
            if not ips:
                raise ProbeFailure(f"no sending IPs declared for {domain} (spf.ips)",
                                   ReasonCategory.BAD_INPUT)
            resolver, shown = make_resolver(ctx.options.dns_server, ctx.timeout)
            per_query = ctx.timeout * max(1, len(resolver.nameservers))  # each server once
            lookups = Lookups(resolver, per_query, ctx.deadline)
            try:
                lookups.query(domain, "TXT")
            except TempError as exc:
                if exc.unreachable:  # no answer at all: nothing could be evaluated
                    raise ProbeFailure(f"{exc.message} from {shown} "
                                       f"(timeout {ctx.timeout:g} s)",
                                       ReasonCategory.TIMEOUT if exc.timed_out
                                       else ReasonCategory.UNREACHABLE) from None
            observations = evaluate(domain, ips, lookups)
        except ProbeFailure as exc:
            return [exc.fact("spf.results")]
        how = say("summary.spf", n=len(ips), domain=domain, queries=len(lookups.asked),
                  asked=lookups.asked, resolver=resolver_said(ctx.options.dns_server, resolver))
        return [Fact(name="spf.results", status=ProbeStatus.COMPLETED,
                     value=tuple(observations), summary=summary(how))]
