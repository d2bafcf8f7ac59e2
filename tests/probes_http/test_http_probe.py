"""The http probe against real loopback HTTP/HTTPS servers, then the network rules on its facts."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from scanner.demo.pki import LeafFiles, issue_leaf, make_ca
from scanner.engine import probe_target, run_probe
from scanner.models import (
    Fact,
    NetworkService,
    Observation,
    ProbeStatus,
    ReasonCategory,
    RuleResult,
    ServiceProtocol,
    Status,
)
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.http import HTTP_FACTS, Answer, HttpProbe, Web, hsts, parse_hsts
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error, assert_judged_error
from tests.probes_http.servers import HOST, RawServer, Route, WebServer, closed_port
from tests.wording_help import how, said

NAME = "good.test"
HTTP, HTTPS = ServiceProtocol.HTTP, ServiceProtocol.HTTPS
COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE
FRONT = frozenset({"http.status", "http.location_scheme", "http.location_same_host"})
HSTS = "Strict-Transport-Security"
PROTECTED = ("/phpmyadmin/", "/phpmyadmin", "/preprod/", "/loop", "/away", "/downgrade",
             "https://admin:s3cret@good.test/phpmyadmin/?x=1")


@dataclass
class Farm:
    other: WebServer  # "another host": must never see a request
    redirect: WebServer  # http: 301 to https on the same host
    away: WebServer  # http: 302 to another host
    page: WebServer  # http: 200
    site: WebServer  # https: HSTS 2 years, protected paths
    short: WebServer  # https: HSTS one day
    bare: WebServer  # https: no HSTS
    bad: WebServer  # https: malformed HSTS
    slow: WebServer
    big: WebServer  # a 70 KB header
    hostile: WebServer  # a 60 KB Location with control characters
    garbage: RawServer
    drip: RawServer  # a header one byte every 50 ms
    chunked: RawServer  # chunked body, then keeps the connection open
    endless: RawServer  # announces 10 MB, sends 300 KB, keeps the connection open


def _servers(leaf: LeafFiles) -> Farm:
    other = WebServer({"/": Route(), "/stolen": Route()})
    site = WebServer({
        "/": Route(headers=((HSTS, "max-age=63072000; includeSubDomains"),)),
        "/phpmyadmin/": Route(401, ((("WWW-Authenticate", 'Basic realm="phpMyAdmin"'),))),
        "/phpmyadmin": Route(301, (("Location", "/phpmyadmin/"),)),
        "/preprod/": Route(200, body=b"pre-production\n"),
        "/loop": Route(302, (("Location", "/loop"),)),
        "/away": Route(302, (("Location", f"https://127.0.0.1:{other.port}/stolen"),)),
        "/big-body": Route(body=b"x" * 1_000_000),
    }, leaf)
    site.routes["/downgrade"] = Route(301, (("Location", f"http://{NAME}:{site.port}/x"),))
    hostile = "https://good.test/\x1b[31m\x00" + "A" * 60_000
    return Farm(
        other=other, site=site,
        redirect=WebServer({"/": Route(301, (("Location", f"https://{NAME}/"),))}),
        away=WebServer({"/": Route(302, (("Location", f"http://127.0.0.1:{other.port}/"),))}),
        page=WebServer({"/": Route(200)}),
        short=WebServer({"/": Route(headers=((HSTS, "max-age=86400"),))}, leaf),
        bare=WebServer({"/": Route()}, leaf),
        bad=WebServer({"/": Route(headers=((HSTS, "max-age=abc; includeSubDomains"),))}, leaf),
        slow=WebServer({"/": Route(delay=2.0)}, leaf),
        big=WebServer({"/": Route(headers=(("X-Filler", "A" * 70_000),))}, leaf),
        hostile=WebServer({"/": Route(302, (("Location", hostile),))}, leaf),
        garbage=RawServer(b"\x00\x01SSH-2.0-not-http\xff\r\n\r\n"),
        drip=RawServer(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n", drip=0.05),
        chunked=RawServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n", keep_open=True),
        endless=RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n"
                          + b"x" * 300_000, keep_open=True),
    )


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    d = tmp_path_factory.mktemp("http-pki")
    leaf = issue_leaf(make_ca(d), d, "web", dns_names=[NAME], ip_addresses=[HOST])
    farm = _servers(leaf)
    yield farm
    for server in vars(farm).values():
        server.close()


def tgt(port: int, protocol: ServiceProtocol = HTTPS, sni: str | None = NAME,
        protected: tuple[str, ...] = ()) -> ProbeTarget:
    subject = NetworkService(host="web1", address=HOST, dns_name=sni, port=port,
                             protocol=protocol, protected_urls=protected)
    return ProbeTarget(HOST, port, protocol, sni, sni or HOST, "web1", subject)


def ctx(timeout: float = 2.0, samples: int = 5) -> ProbeContext:
    return ProbeContext(timeout=timeout, deadline=time.monotonic() + 30,
                        options=ProbeOptions(http_samples=samples))


def run(t: ProbeTarget, wanted: frozenset[str] = frozenset(HTTP_FACTS),
        c: ProbeContext | None = None) -> tuple[dict[str, Fact], ProbeContext]:
    c = c or ctx()
    facts = run_probe(HttpProbe(), t, wanted, c)
    assert [f.name for f in facts] == [n for n in HTTP_FACTS if n in wanted]
    return {f.name: f for f in facts}, c


def done(fact: Fact) -> object:
    assert fact.status is COMPLETED, fact
    assert how(fact).isprintable() and len(how(fact)) < 1000, how(fact)
    return fact.value


def no_credentials(*servers: WebServer) -> None:
    for server in servers:
        assert all(r.header("Authorization") is None for r in server.requests)


# ---------------------------------------------------------------- port 80 (http subjects)

def test_port80_redirects_to_https_same_host(farm: Farm) -> None:
    facts, c = run(tgt(farm.redirect.port, HTTP), FRONT)
    assert done(facts["http.status"]) == 301
    assert done(facts["http.location_scheme"]) == "https"
    assert done(facts["http.location_same_host"]) is True
    assert "GET http://good.test:" in how(facts["http.status"])
    assert "Location: https://good.test/" in how(facts["http.location_scheme"])
    assert c.connections == 1  # one GET / serves all three facts
    seen = farm.redirect.requests[-1]
    assert seen.path == "/" and seen.header("Host") == f"{NAME}:{farm.redirect.port}"
    no_credentials(farm.redirect)


def test_port80_redirect_to_another_host_is_not_followed(farm: Farm) -> None:
    facts, c = run(tgt(farm.away.port, HTTP), FRONT)
    assert done(facts["http.status"]) == 302
    assert done(facts["http.location_scheme"]) == "http"
    assert done(facts["http.location_same_host"]) is False
    assert "127.0.0.1 vs good.test" in how(facts["http.location_same_host"])
    assert c.connections == 1 and farm.other.requests == []


def test_same_host_ignores_the_port_for_ip_targets(farm: Farm) -> None:
    facts, _ = run(tgt(farm.away.port, HTTP, sni=None), FRONT)
    assert done(facts["http.location_same_host"]) is True  # 127.0.0.1 on another port


def test_port80_page(farm: Farm) -> None:
    facts, _ = run(tgt(farm.page.port, HTTP), FRONT)
    assert done(facts["http.status"]) == 200
    assert done(facts["http.location_scheme"]) == "none"
    assert done(facts["http.location_same_host"]) is False
    assert "no Location header" in how(facts["http.location_same_host"])


def test_closed_port80_is_not_applicable(farm: Farm) -> None:
    port = closed_port()
    facts, c = run(tgt(port, HTTP))
    assert c.connections == 1  # no retry by the later facts
    for name in FRONT | {"http.response_p90_ms"}:
        assert facts[name].status is NA
        assert facts[name].reason == f"port {port} is closed (connection refused)"
    assert facts["http.hsts_max_age"].reason == "gathered for https services only"


def test_closed_https_port_is_an_error() -> None:
    facts, _ = run(tgt(closed_port()), FRONT)
    for fact in facts.values():
        assert_error(fact, ReasonCategory.REFUSED, "Connection refused")


def test_garbage_is_an_error(farm: Farm) -> None:
    facts, _ = run(tgt(farm.garbage.port, HTTP), FRONT)
    reason = facts["http.status"].reason or ""
    assert_error(facts["http.status"], ReasonCategory.PROTOCOL_ERROR, "not an HTTP response")
    assert reason.startswith("GET / failed: not an HTTP response (BadStatusLine")
    assert reason.isprintable() and "\\x00" in reason
    https, _ = run(tgt(farm.garbage.port), FRONT)
    assert_error(https["http.status"], ReasonCategory.PROTOCOL_ERROR, "TLS handshake failed")
    assert (https["http.status"].reason or "").startswith("TLS handshake failed")


def test_timeout_is_an_error(farm: Farm) -> None:
    facts, _ = run(tgt(farm.slow.port), FRONT, ctx(timeout=0.4))  # the answer takes 2 s
    assert_error(facts["http.status"], ReasonCategory.TIMEOUT, "timed out")
    assert facts["http.status"].reason == "GET / failed: timed out"


def test_drip_fed_answer_is_cut_at_the_timeout(farm: Farm) -> None:
    # each byte comes in time (every 0.05 s), the whole (10 s) does not: only a cut reads so
    facts, _ = run(tgt(farm.drip.port, HTTP), FRONT, ctx(timeout=0.5))
    assert facts["http.status"].reason == "GET / failed: timed out"


def test_exhausted_budget_opens_nothing(farm: Farm) -> None:
    c = ProbeContext(timeout=1.0, deadline=time.monotonic() - 1)
    facts, _ = run(tgt(farm.site.port), FRONT, c)
    assert c.connections == 0
    assert all("budget exhausted" in (f.reason or "") for f in facts.values())


# ---------------------------------------------------------------- https: HSTS, hostile data

@pytest.mark.parametrize(("server", "age", "said"), [
    ("site", 63072000, "→ max-age 63072000"),
    ("short", 86400, "→ max-age 86400"),
    ("bare", -1, "no Strict-Transport-Security header"),
    ("bad", -1, "max-age abc is not a number of seconds"),
])
def test_hsts(farm: Farm, server: str, age: int, said: str) -> None:
    facts, c = run(tgt(getattr(farm, server).port), frozenset({"http.hsts_max_age"}))
    assert done(facts["http.hsts_max_age"]) == age
    assert said in how(facts["http.hsts_max_age"])
    assert c.connections == 1


@pytest.mark.parametrize(("value", "age"), [
    ("max-age=31536000", 31536000),
    ('MAX-AGE="600"; includeSubDomains', 600),
    (" max-age = 10 ; preload ;", 10),
    ('includeSubDomains; foo="a;b"; Max-Age=5', 5),
    ("max-age=0", 0),
    ("max-age=" + "9" * 5000, 10**15),
    ("includeSubDomains", None),
    ("max-age=1; max-age=2", None),
    ("max-age=-1", None),
    ("max-age=", None),
    ("max-age=10, max-age=20", None),
    ("", None),
])
def test_parse_hsts(value: str, age: int | None) -> None:
    assert parse_hsts(value)[0] == age


def test_several_hsts_headers_first_valid_wins() -> None:
    age, first = hsts(["max-age=1; max-age=2", "max-age=31536000", "max-age=5"])
    assert age == 31536000 and "after 1 invalid" in said(first)
    age, none = hsts(["preload", "max-age=x"])
    assert (age, said(none)) == (-1, "invalid Strict-Transport-Security header(s): preload (no "
                                     "max-age directive); max-age=x (max-age x is not a number "
                                     "of seconds)")


def test_headers_over_64kb_are_an_error(farm: Farm) -> None:
    facts, _ = run(tgt(farm.big.port), FRONT)
    assert facts["http.status"].reason == "GET / failed: response headers exceed 64 KB"


def test_hostile_location_is_short_and_printable(farm: Farm) -> None:
    facts, _ = run(tgt(farm.hostile.port), FRONT)
    assert done(facts["http.location_scheme"]) == "https"
    assert done(facts["http.location_same_host"]) is True
    assert "\\x1b[31m\\x00AAA" in how(facts["http.location_scheme"])


def test_sni_only_for_names(farm: Farm) -> None:
    before = len(farm.bare.log.sni)
    run(tgt(farm.bare.port), frozenset({"http.status"}))
    run(tgt(farm.bare.port, sni=None), frozenset({"http.status"}))
    assert farm.bare.log.sni[before:] == [NAME, None]
    assert farm.bare.requests[-1].header("Host") == f"{HOST}:{farm.bare.port}"


def _answer(location: str) -> Answer:
    headers = http.client.parse_headers(io.BytesIO(f"Location: {location}\r\n\r\n"
                                                   .encode("latin-1")))
    return Answer(302, "Found", headers, 0.0)


@pytest.mark.parametrize(("location", "scheme", "same"), [
    ("https://good.test/", "https", True),
    ("https://GOOD.TEST.:8443/x", "https", True),
    ("/relative", "https", True),
    ("//evil.example/", "https", False),
    ("https://good.test@evil.example/", "https", False),
    ("https:\\\\evil.example\\", "https", False),
    (" \x01https://good.test/", "https", True),
    ("http://good.test/", "http", True),
    ("javascript:alert(1)", "other", False),
    ("https://[::1/", "other", False),
    ("https://127.0.0.1/", "https", False),
])
def test_location(location: str, scheme: str, same: bool) -> None:
    loc = Web(tgt(443), ctx()).location(_answer(location), "/")
    assert (loc.scheme, loc.same_host) == (scheme, same)
    assert said(loc.shown).isprintable()


# ---------------------------------------------------------------- protected URLs, timing

def test_protected_urls(farm: Farm) -> None:
    facts, c = run(tgt(farm.site.port, protected=PROTECTED),
                   frozenset({"http.protected_status"}))
    got = done(facts["http.protected_status"])
    origin = f"https://{NAME}:{farm.site.port}"
    assert got == (
        Observation(value="401", detail=f"{origin}/phpmyadmin/"),
        Observation(value="401", detail=f"{origin}/phpmyadmin"),  # after one redirect
        Observation(value="200", detail=f"{origin}/preprod/"),
        Observation(value="302", detail=f"{origin}/loop"),
        Observation(value="302", detail=f"{origin}/away"),
        Observation(value="301", detail=f"{origin}/downgrade"),
        Observation(value="401", detail=f"{origin}/phpmyadmin/?x=1"),
    )
    summary = how(facts["http.protected_status"])
    assert "/phpmyadmin → 401 (via /phpmyadmin/)" in summary
    assert "/loop → 302 (still redirecting after 3 redirects)" in summary
    assert "not followed, another origin" in summary and "s3cret" not in summary
    assert c.connections == 1 + 2 + 1 + 4 + 1 + 1 + 1
    assert farm.other.requests == []
    no_credentials(farm.site)


def test_no_protected_urls(farm: Farm) -> None:
    facts, c = run(tgt(farm.site.port), frozenset({"http.protected_status"}))
    assert facts["http.protected_status"].status is NA
    assert facts["http.protected_status"].reason == "no protected URLs declared for this service"
    assert c.connections == 0


def test_protected_url_timeout_is_an_error(farm: Farm) -> None:
    facts, _ = run(tgt(farm.slow.port, protected=("/",)), frozenset({"http.protected_status"}),
                   ctx(timeout=0.3))
    assert facts["http.protected_status"].reason == "GET / failed: timed out"


def test_response_p90(farm: Farm) -> None:
    facts, c = run(tgt(farm.site.port), frozenset({"http.response_p90_ms"}), ctx(samples=5))
    p90 = done(facts["http.response_p90_ms"])
    assert isinstance(p90, int) and 0 <= p90 < 2000
    summary = how(facts["http.response_p90_ms"])
    assert summary.startswith("5 sequential GET") and "nearest rank 5 of 5" in summary
    assert all(w in summary for w in ("min", "median", "max"))
    assert c.connections == 5 and len(farm.site.log.sni) >= 5


def test_response_p90_errors(farm: Farm) -> None:
    facts, _ = run(tgt(farm.slow.port), frozenset({"http.response_p90_ms"}),
                   ctx(timeout=0.3, samples=3))
    assert_error(facts["http.response_p90_ms"], ReasonCategory.TIMEOUT,
                 "sample 1 of 3: GET / failed: timed out")
    facts, c = run(tgt(farm.site.port), frozenset({"http.response_p90_ms"}), ctx(samples=0))
    assert_error(facts["http.response_p90_ms"], ReasonCategory.BAD_INPUT, "no samples requested")
    assert c.connections == 0


def test_chunked_body_ends_without_waiting_for_close(farm: Farm) -> None:
    # the server holds the connection 3 s after the last chunk: a client waiting for the close
    # would hit its own 2 s timeout and report an error instead of a percentile
    facts, c = run(tgt(farm.chunked.port, HTTP), frozenset({"http.response_p90_ms"}),
                   ctx(timeout=2.0, samples=2))
    assert facts["http.response_p90_ms"].status is COMPLETED
    assert isinstance(facts["http.response_p90_ms"].value, int) and c.connections == 2


def test_body_read_stops_at_256kb(farm: Farm) -> None:
    # 10 MB announced, 300 KB sent, then silence: waiting for more would time out (an error)
    answer = Web(tgt(farm.endless.port, HTTP), ctx(timeout=1.0)).get("/", body=True)
    assert answer.status == 200
    answer = Web(tgt(farm.site.port), ctx()).get("/big-body", body=True)  # 1 MB body
    assert answer.status == 200


# ---------------------------------------------------------------- end to end: the rules

RULES = {r.info.id: r for r in build_ruleset([load_pack("network-baseline")]).rules}


def judged(rule_id: str, service: NetworkService) -> tuple[RuleResult, dict[str, Fact]]:
    rule = RULES[rule_id]
    target = probe_target(service, service.address)
    facts, _ = run(target, frozenset(rule.info.facts))
    dyn = Dynamic(scan_time=dt.datetime.now(dt.UTC), contract_end=None)
    return evaluate_rule(rule, service, facts, dyn), facts


def verdict(rule_id: str, service: NetworkService) -> Status:
    return judged(rule_id, service)[0].status


def test_network_rules_end_to_end(farm: Farm) -> None:
    def svc(port: int, protocol: ServiceProtocol = HTTPS, *urls: str) -> NetworkService:
        return NetworkService(host="web1", address=HOST, dns_name=NAME, port=port,
                              protocol=protocol, protected_urls=urls)

    assert verdict("NET-HTTP-001", svc(farm.redirect.port, HTTP)) is Status.PASS
    assert verdict("NET-HTTP-001", svc(farm.away.port, HTTP)) is Status.FAIL
    assert verdict("NET-HTTP-001", svc(farm.page.port, HTTP)) is Status.FAIL
    assert verdict("NET-HTTP-001", svc(closed_port(), HTTP)) is Status.NOT_APPLICABLE
    assert verdict("NET-HSTS-001", svc(farm.site.port)) is Status.PASS
    assert verdict("NET-HSTS-001", svc(farm.short.port)) is Status.FAIL
    assert verdict("NET-HSTS-001", svc(farm.bad.port)) is Status.FAIL
    assert_judged_error(*judged("NET-HSTS-001", svc(farm.garbage.port)),
                        ReasonCategory.PROTOCOL_ERROR, "TLS handshake failed")
    site = farm.site.port
    assert verdict("NET-PROT-001", svc(site, HTTPS, "/phpmyadmin/", "/phpmyadmin")) is Status.PASS
    assert verdict("NET-PROT-001", svc(site, HTTPS, "/phpmyadmin/", "/preprod/")) is Status.FAIL
    assert verdict("NET-PROT-001", svc(site)) is Status.NOT_APPLICABLE
