"""The `dns` probe: what a service's DNS name resolves to (A and AAAA), for REQ-NET-07.

After a migration the customer's name must lead to the platform's declared address; the rule
compares these answers with the inventory's `address`. Only for hosts that declare both a DNS
name and an address (a host known by name only is reached through its name anyway).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from scanner.facts import FactKind, FactSpec
from scanner.models import (
    Fact,
    NetworkService,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.spf import make_resolver, resolver_said

if TYPE_CHECKING:  # dnspython is imported on use: the probe catalogue is loaded by every scan
    import dns.resolver

NAME = "dns.addresses"


def _lookup(resolver: dns.resolver.Resolver, name: str, rtype: str, deadline: float
            ) -> tuple[list[Observation], Phrase]:
    import dns.exception
    import dns.resolver

    if time.monotonic() >= deadline:
        raise ProbeFailure("service time budget exhausted before the DNS look-ups",
                           ReasonCategory.BUDGET_EXHAUSTED, say("reason.budget.dns"))
    try:
        answer = resolver.resolve(name, rtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return [], say("summary.dns.nxdomain")
    except dns.resolver.NoNameservers as exc:
        raise ProbeFailure(f"{rtype} look-up of {name} failed: {exc}",
                           ReasonCategory.UNRESOLVABLE) from exc
    except dns.exception.Timeout as exc:
        raise ProbeFailure(f"{rtype} look-up of {name} timed out",
                           ReasonCategory.TIMEOUT) from exc
    except dns.exception.DNSException as exc:
        raise ProbeFailure(f"{rtype} look-up of {name} failed: {exc}",
                           ReasonCategory.UNRESOLVABLE) from exc
    if answer.rrset is None:
        return [], say("summary.dns.no_record")
    found = [Observation(value=str(ipaddress.ip_address(r.address)),
                         said=say("obs.dns.record", rtype=rtype, name=name,
                                  ttl=str(answer.rrset.ttl)),
                         detail=f"{rtype} record of {name} (TTL {answer.rrset.ttl})")
             for r in answer.rrset]
    return found, say("summary.dns.records", records=[o.value for o in found])


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("dns.addresses", FactKind.SET, "dns",
             "Addresses the host's DNS name resolves to (A and AAAA, through --dns-server or "
             "the system resolver; detail: the record)",
             services=frozenset(p for p in ServiceProtocol if p.network_service)),
)


class DnsMigrationProbe:
    name = "dns"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset({NAME})

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        if NAME not in wanted:
            return []
        if target.sni is None:
            return [Fact(name=NAME, status=ProbeStatus.NOT_APPLICABLE,
                         reason="the inventory declares no DNS name for this host",
                         why=say("reason.dns.no_name"))]
        subject = target.subject
        if not isinstance(subject, NetworkService) or subject.address is None:
            return [Fact(name=NAME, status=ProbeStatus.NOT_APPLICABLE,
                         why=say("reason.dns.no_address"),
                         reason="the inventory declares no address for this host (its name is "
                                "resolved to reach it)")]
        try:
            resolver, _ = make_resolver(ctx.options.dns_server, ctx.timeout)
            found: list[Observation] = []
            notes: list[Phrase] = []
            for rtype in ("A", "AAAA"):
                records, note = _lookup(resolver, target.sni, rtype, ctx.deadline)
                found += records
                notes.append(say("summary.dns.rtype", note, rtype=rtype))
        except ProbeFailure as exc:
            return [exc.fact(NAME)]
        unique = {o.value: o for o in found}
        return [Fact(name=NAME, status=ProbeStatus.COMPLETED, value=tuple(unique.values()),
                     summary=summary(say("summary.dns.migration", *notes, name=target.sni,
                                         resolver=resolver_said(ctx.options.dns_server,
                                                                resolver))))]
