"""The spf probe against a real DNS server on 127.0.0.1; then rule DNS-SPF-001 on its facts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from collections.abc import Iterator

import pytest

from scanner.engine import probe_target, run_probe
from scanner.models import (
    Fact,
    MailDomain,
    ProbeStatus,
    ReasonCategory,
    RuleResult,
    Status,
)
from scanner.probes.base import Probe, ProbeContext, ProbeOptions
from scanner.probes.spf import SpfProbe
from scanner.probes.spf_record import SpfError, expand, parse_record
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error, assert_judged_error
from tests.probes_spf.dns_server import LocalDnsServer, Query, free_udp_port
from tests.subjects import zone_pair
from tests.wording_help import how

TIMEOUT = 0.4  # seconds per DNS query: the dropped query costs this much
BIG = "v=spf1 " + " ".join(f"ip4:10.{i}.0.0/16" for i in range(40)) + " ip4:192.0.2.77 -all"
ZONE: dict[str, list[tuple[str, str]]] = {
    "corp.test": [("TXT", "v=spf1 a mx/30 a:web.corp.test/28//64 include:_spf.provider.test "
                          "-all"),
                  ("A", "192.0.2.1"), ("AAAA", "2001:db8:1::1"), ("MX", "10 mx1.corp.test")],
    "mx1.corp.test": [("A", "192.0.2.20")],
    "web.corp.test": [("A", "192.0.2.40"), ("AAAA", "2001:db8:2::1")],
    "_spf.provider.test": [("TXT", "v=spf1 ip4:203.0.113.0/24 include:_net.provider.test ~all")],
    "_net.provider.test": [("TXT", "v=spf1 ip4:198.51.100.0/25 include:_v6.provider.test ?all")],
    "_v6.provider.test": [("TXT", "v=spf1 ip6:2001:db8:cafe::/48 -all")],
    "redir.test": [("TXT", "v=spf1 redirect=_spf.mailhost.test")],
    "_spf.mailhost.test": [("TXT", "v=spf1 ip4:192.0.2.128/25 -all")],
    "soft.test": [("TXT", "v=spf1 ip4:192.0.2.0/28 ~all")],
    "hard.test": [("TXT", "v=spf1 ip4:192.0.2.0/28 -all"), ("TXT", "site-verification=x")],
    "nospf.test": [("TXT", "google-site-verification=abc")],
    "twice.test": [("TXT", "v=spf1 -all"), ("TXT", "v=spf1 ip4:192.0.2.1 -all")],
    "many.test": [("TXT", "v=spf1 " + " ".join(f"include:i{n}.many.test" for n in range(1, 12))
                   + " ip4:192.0.2.1 -all")],
    **{f"i{n}.many.test": [("TXT", "v=spf1 -all")] for n in range(1, 12)},
    "void.test": [("TXT", "v=spf1 a:nx1.void.test a:nx2.void.test a:nx3.void.test "
                          "ip4:192.0.2.1 -all")],
    "slow.test": [("TXT", "v=spf1 ip4:192.0.2.200 include:_spf.dead.test -all")],
    "broken.test": [("TXT", "v=spf1 ip4:192.0.2.1 foo:bar -all")],
    "macro.test": [("TXT", "v=spf1 exists:%{ir}.%{v}._allow.%{d} ptr -all")],
    "3.2.0.192.in-addr._allow.macro.test": [("A", "127.0.0.2")],
    "big.test": [("TXT", BIG)],
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalDnsServer]:
    s = LocalDnsServer(ZONE, silent=["_spf.dead.test", "dead.test"],
                       servfail=["servfail.test"]).start()
    yield s
    s.stop()


def ctx_for(dns_server: str | None) -> ProbeContext:
    return ProbeContext(timeout=TIMEOUT, deadline=time.monotonic() + 10,
                        options=ProbeOptions(dns_server=dns_server))


def run(server: LocalDnsServer | str, domain: str, *ips: str) -> Fact:
    address = server if isinstance(server, str) else server.address
    if not isinstance(server, str):
        server.clear()
    target = probe_target(MailDomain(domain=domain, ips=ips), None)
    [fact] = run_probe(SpfProbe(), target, frozenset({"spf.results"}), ctx_for(address))
    return fact


def details(fact: Fact) -> list[str]:
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple)
    return [o.detail for o in fact.value]  # type: ignore[union-attr]


def asked(queries: list[Query]) -> set[str]:
    return {f"{q.rtype} {q.name}" for q in queries}


CORP = {  # every IP authorised, through each kind of mechanism
    "192.0.2.1": "a (192.0.2.1)",
    "192.0.2.22": "mx/30 (mx1.corp.test 192.0.2.20)",
    "192.0.2.45": "a:web.corp.test/28//64 (192.0.2.40)",
    "2001:db8:2::99": "a:web.corp.test/28//64 (2001:db8:2::1)",
    "203.0.113.25": "ip4:203.0.113.0/24 via include:_spf.provider.test",
    "198.51.100.7": "ip4:198.51.100.0/25 via include:_spf.provider.test > "
                    "include:_net.provider.test",
    "2001:db8:cafe::25": "ip6:2001:db8:cafe::/48 via include:_spf.provider.test > "
                         "include:_net.provider.test > include:_v6.provider.test",
    "::ffff:203.0.113.9": "ip4:203.0.113.0/24 via include:_spf.provider.test",
}


def test_nested_includes_a_mx_ip6_all_pass(server: LocalDnsServer) -> None:
    fact = run(server, "corp.test", *CORP)
    assert details(fact) == [f"{ip}: pass ({why})" for ip, why in CORP.items()]
    # one query per name and type for the whole run (answers are shared between the IPs)
    assert len(server.queries) == len(asked(server.queries)) == 11
    assert "11 queries" in how(fact) and f"DNS server {server.address}" in how(fact)


def test_queries_of_one_evaluation_stay_within_the_limits(server: LocalDnsServer) -> None:
    run(server, "corp.test", "2001:db8:cafe::25")  # the deepest path: 6 look-up terms
    assert asked(server.queries) == {
        "TXT corp.test", "AAAA corp.test", "MX corp.test", "AAAA mx1.corp.test",
        "AAAA web.corp.test", "TXT _spf.provider.test", "TXT _net.provider.test",
        "TXT _v6.provider.test"}
    assert len(server.queries) == 8


def test_unauthorised_ip_hits_the_final_all(server: LocalDnsServer) -> None:
    fact = run(server, "corp.test", "192.0.2.99")
    assert details(fact) == ["192.0.2.99: fail (-all)"]


@pytest.mark.parametrize(("domain", "ip", "detail"), [
    ("redir.test", "192.0.2.130", "pass (ip4:192.0.2.128/25 via redirect=_spf.mailhost.test)"),
    ("redir.test", "192.0.2.5", "fail (-all via redirect=_spf.mailhost.test)"),
    ("soft.test", "192.0.2.3", "pass (ip4:192.0.2.0/28)"),
    ("soft.test", "198.51.100.200", "softfail (~all)"),
    ("hard.test", "203.0.113.9", "fail (-all)"),
    ("nospf.test", "192.0.2.1", "none (no SPF record at nospf.test)"),
    ("absent.test", "192.0.2.1", "none (no SPF record at absent.test)"),
    ("twice.test", "192.0.2.1", "permerror (2 v=spf1 records at twice.test)"),
    ("void.test", "192.0.2.1", "permerror (more than 2 void look-ups (A nx3.void.test is empty))"),
    ("broken.test", "192.0.2.1", "permerror (unknown mechanism 'foo:bar')"),
    ("macro.test", "192.0.2.3", "pass (exists:%{ir}.%{v}._allow.%{d})"),
    ("macro.test", "192.0.2.4", "fail (-all; ptr not evaluated)"),
    ("big.test", "192.0.2.77", "pass (ip4:192.0.2.77)"),
    ("servfail.test", "192.0.2.1", "temperror (DNS server failure for TXT servfail.test)"),
])
def test_results(server: LocalDnsServer, domain: str, ip: str, detail: str) -> None:
    fact = run(server, domain, ip)
    assert details(fact) == [f"{ip}: {detail}"]
    assert fact.value[0].value == detail.split()[0]  # type: ignore[index, union-attr]


def test_truncated_udp_answer_is_retried_over_tcp(server: LocalDnsServer) -> None:
    run(server, "big.test", "192.0.2.77")
    assert [q.protocol for q in server.queries] == ["udp", "tcp"]


def test_more_than_ten_lookups_is_permerror_and_the_eleventh_is_not_queried(
        server: LocalDnsServer) -> None:
    fact = run(server, "many.test", "192.0.2.1")
    assert details(fact) == ["192.0.2.1: permerror (more than 10 DNS look-ups "
                             "(include:i11.many.test is look-up 11))"]
    assert asked(server.queries) == {"TXT many.test"} | {f"TXT i{n}.many.test"
                                                        for n in range(1, 11)}
    assert len(server.queries) == 11


def test_include_that_times_out_is_temperror(server: LocalDnsServer) -> None:
    fact = run(server, "slow.test", "192.0.2.200", "192.0.2.201", "192.0.2.202")
    assert details(fact) == [
        "192.0.2.200: pass (ip4:192.0.2.200)",
        "192.0.2.201: temperror (DNS timeout for TXT _spf.dead.test, via include:_spf.dead.test)",
        "192.0.2.202: temperror (DNS timeout for TXT _spf.dead.test, via include:_spf.dead.test)",
    ]
    assert [q.name for q in server.queries].count("_spf.dead.test") == 1  # asked once
    assert "TXT _spf.dead.test" in how(fact)


def test_no_answer_for_the_domain_itself_is_an_error(server: LocalDnsServer) -> None:
    fact = run(server, "dead.test", "192.0.2.1")
    assert_error(fact, ReasonCategory.TIMEOUT, "DNS timeout")
    assert fact.reason == (f"DNS timeout for TXT dead.test from DNS server {server.address} "
                           f"(timeout {TIMEOUT:g} s)")


def test_unreachable_resolver_is_an_error() -> None:
    fact = run(f"127.0.0.1:{free_udp_port()}", "corp.test", "192.0.2.1")
    # dnspython's UDP socket never sees the ICMP port unreachable: no answer in time
    assert_error(fact, ReasonCategory.TIMEOUT, "DNS timeout for TXT corp.test from DNS server "
                 "127.0.0.1:")


@pytest.mark.parametrize(("dns_server", "reason"), [
    ("dns.example.test", "dns_server: expected an IP address[:port] like 192.0.2.53 or "
                         "[2001:db8::53]:5353; got 'dns.example.test'"),
    ("127.0.0.1:70000", "dns_server: port out of range (1-65535) in '127.0.0.1:70000'"),
])
def test_bad_dns_server_option(dns_server: str, reason: str) -> None:
    fact = run(dns_server, "corp.test", "192.0.2.1")
    assert_error(fact, ReasonCategory.BAD_INPUT, reason)
    assert fact.reason == reason


def test_probe_interface(server: LocalDnsServer) -> None:
    probe: Probe = SpfProbe()
    assert (probe.name, probe.provides) == ("spf", frozenset({"spf.results"}))
    target = probe_target(MailDomain(domain="corp.test", ips=()), None)
    assert run_probe(probe, target, frozenset(), ctx_for(server.address)) == []
    [fact] = run_probe(probe, target, frozenset({"spf.results"}), ctx_for(server.address))
    assert_error(fact, ReasonCategory.BAD_INPUT, "no sending IPs declared for corp.test (spf.ips)")
    assert fact.reason == "no sending IPs declared for corp.test (spf.ips)"
    # a subject of another kind (a zone pair handed to the SPF probe) is bad input, not a crash
    wrong = probe_target(zone_pair(["web1:443/tcp"]), None)
    [fact] = run_probe(probe, wrong, frozenset({"spf.results"}), ctx_for(server.address))
    assert_error(fact, ReasonCategory.BAD_INPUT, "users->front is a ZonePair, not a MailDomain")
    assert fact.reason == "users->front is a ZonePair, not a MailDomain"


# ---- record syntax and macros (no DNS) ------------------------------------------------------

@pytest.mark.parametrize("record", [
    "v=spf1 ip4:192.0.2.1/33", "v=spf1 ip4:192.0.2.1/", "v=spf1 ip4:01.2.3.4",
    "v=spf1 ip6:192.0.2.1", "v=spf1 ip4:2001:db8::1", "v=spf1 a/33", "v=spf1 mx//129",
    "v=spf1 include", "v=spf1 include:", "v=spf1 exists", "v=spf1 all:x.test",
    "v=spf1 include:x.test/24", "v=spf1 a:%{x}.test", "v=spf1 a:%{c}.test", "v=spf1 a:%{d0}.x.test",
    "v=spf1 a:50%.test", "v=spf1 redirect=a.test redirect=b.test", "v=spf1 a:nodot",
])
def test_syntax_errors_are_permerror(record: str) -> None:
    with pytest.raises(SpfError) as err:
        parse_record(record)
    assert err.value.result == "permerror"


def test_parse_keeps_qualifiers_cidrs_and_redirect() -> None:
    terms, redirect = parse_record("v=spf1  ?a:x.test/24//64 -mx ~ptr exp=e.%{d} redirect=r.test")
    assert [(t.name, t.result, t.spec, t.cidr4, t.cidr6) for t in terms] == [
        ("a", "neutral", "x.test", 24, 64), ("mx", "fail", None, 32, 128),
        ("ptr", "softfail", None, 32, 128)]
    assert redirect == "r.test"


RFC_SENDER, RFC_DOMAIN = "strong-bad@email.example.com", "email.example.com"


@pytest.mark.parametrize(("spec", "expanded"), [  # RFC 7208 section 7.4
    ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"),
    ("%{d}", "email.example.com"), ("%{d4}", "email.example.com"), ("%{d2}", "example.com"),
    ("%{d1}", "com"), ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"),
    ("%{l}", "strong-bad"), ("%{l-}", "strong.bad"), ("%{lr-}", "bad.strong"),
    ("%{l1r-}", "strong"), ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ("%%%_%-.%{S}.x", "% %20.strong-bad%40email.example.com.x"),
])
def test_macro_expansion(spec: str, expanded: str) -> None:
    ip = ipaddress.ip_address("192.0.2.3")
    assert expand(spec, ip, RFC_SENDER, RFC_DOMAIN) == expanded


def test_macro_expansion_ipv6() -> None:
    ip = ipaddress.ip_address("2001:db8::cb01")
    assert expand("%{ir}.%{v}._spf.%{d2}", ip, RFC_SENDER, RFC_DOMAIN) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")


# ---- rule DNS-SPF-001 end to end --------------------------------------------------------------

RULE = next(r for r in build_ruleset([load_pack("network-baseline")]).rules
            if r.info.id == "DNS-SPF-001")


def judged(server: LocalDnsServer | str, domain: str, *ips: str
           ) -> tuple[RuleResult, dict[str, Fact]]:
    fact = run(server, domain, *ips)
    service = MailDomain(domain=domain, ips=ips)
    dyn = Dynamic(scan_time=dt.datetime.now(dt.UTC), contract_end=None)
    facts = {"spf.results": fact}
    return evaluate_rule(RULE, service, facts, dyn), facts


def judge(server: LocalDnsServer | str, domain: str, *ips: str) -> Status:
    return judged(server, domain, *ips)[0].status


def test_rule_passes_when_every_ip_is_authorised(server: LocalDnsServer) -> None:
    assert judge(server, "corp.test", *CORP) is Status.PASS
    assert judge(server, "redir.test", "192.0.2.130") is Status.PASS


@pytest.mark.parametrize(("domain", "ips"), [
    ("corp.test", ("192.0.2.1", "192.0.2.99")),  # one IP not authorised
    ("soft.test", ("198.51.100.200",)), ("nospf.test", ("192.0.2.1",)),
    ("twice.test", ("192.0.2.1",)), ("many.test", ("192.0.2.1",)),
    ("slow.test", ("192.0.2.200", "192.0.2.201")),  # temperror is data: the rule fails
])
def test_rule_fails_otherwise(server: LocalDnsServer, domain: str, ips: tuple[str, ...]) -> None:
    assert judge(server, domain, *ips) is Status.FAIL


def test_rule_is_error_when_nothing_could_be_evaluated(server: LocalDnsServer) -> None:
    assert_judged_error(*judged(server, "dead.test", "192.0.2.1"), ReasonCategory.TIMEOUT,
                        "DNS timeout for TXT dead.test")
