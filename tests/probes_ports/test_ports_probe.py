"""The ports probe: real nmap against real listeners on loopback addresses (127.x.y.z, ::1)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from reports.wording import Wording
from scanner.engine import run_probe
from scanner.models import (
    ExposedHost,
    Fact,
    Observation,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    Status,
)
from scanner.probes import ports as ports_module
from scanner.probes.base import ProbeContext, ProbeOptions, ProbeTarget
from scanner.probes.nmap_runner import INSTALL_HINT, find_nmap, parse_xml
from scanner.probes.ports import FACT, PortsProbe, clean_detail
from scanner.rulepack.conditions import Dynamic
from scanner.rulepack.evaluate import evaluate_rule
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error
from tests.probes_ports import (
    Listener,
    NginxLike,
    free_port,
    fresh_address,
    postgres_like,
    redis_like,
    silent,
    ssh_like,
)
from tests.wording_help import how

needs_nmap = pytest.mark.skipif(find_nmap() is None, reason=INSTALL_HINT)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="SYN and UDP scans need root")
SSH = "ssh OpenSSH 9.2p1 Debian 2+deb12u3"  # what nmap makes of SSH_BANNER


def scan(address: str, ports: str = "1-65535", *, udp: bool = False, budget: float = 50.0
         ) -> tuple[Fact, ProbeContext]:
    ctx = ProbeContext(timeout=3.0, deadline=time.monotonic() + budget,
                       options=ProbeOptions(ports=ports, udp=udp))
    target = ProbeTarget(address, 0, ServiceProtocol.HOST, None, address, host="h1")
    facts = run_probe(PortsProbe(), target, frozenset({FACT}), ctx)
    assert [f.name for f in facts] == [FACT]
    return facts[0], ctx


def seen(fact: Fact) -> dict[str, str]:
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple)
    return {o.value: o.detail for o in fact.value if isinstance(o, Observation)}


# ------------------------------------------------------------------ an estate of three services

@dataclass(frozen=True)
class Estate:
    address: str
    http: int
    closed: int
    fact: Fact
    connections: int


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    if find_nmap() is None:
        pytest.skip(INSTALL_HINT)
    address = fresh_address((6379, 5432))
    listeners = [Listener(address, 6379, redis_like), Listener(address, 5432, postgres_like)]
    web = ThreadingHTTPServer((address, 0), NginxLike)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    http, closed = int(web.server_address[1]), free_port(address)
    fact, ctx = scan(address, f"6379,5432,{http},{closed}")
    yield Estate(address, http, closed, fact, ctx.connections)
    web.shutdown()
    for listener in listeners:
        listener.close()


def test_service_detection_names_each_service(estate: Estate) -> None:
    found = seen(estate.fact)
    assert set(found) == {"5432/tcp", "6379/tcp", f"{estate.http}/tcp"}
    assert found["6379/tcp"] == "redis Redis key-value store 7.0.15"
    assert found[f"{estate.http}/tcp"] == "http nginx 1.22.1"
    # nmap 7.93's database says "15" for this ErrorResponse; older ones a version range
    assert found["5432/tcp"].startswith("postgresql PostgreSQL DB")
    ports = [int(v.split("/")[0]) for v in found]  # dicts keep the fact's order
    assert ports == sorted(ports)
    summary = how(estate.fact)
    scan = "SYN scan (-sS)" if os.geteuid() == 0 else "connect scan (-sT)"
    assert summary.startswith("nmap 7.")
    assert scan in summary and "-sV --version-intensity 2" in summary
    assert f"of ports 6379,5432,{estate.http},{estate.closed}" in summary
    assert "4 scanned, 3 open, 0 filtered, 1 closed" in summary
    assert "1 nmap run counted as 1 connection" in summary
    assert estate.connections == 1


# ------------------------------------------------------------------ the rules on the gathered fact

RULES = {r.info.id: r for r in build_ruleset([load_pack("network-baseline")]).rules}


def judge(rule_id: str, fact: Fact, allowed: tuple[str, ...]) -> tuple[Status, str]:
    host = ExposedHost(host="h1", address="127.0.0.1", dns_name=None, role="web",
                       allowed_ports=allowed)
    result = evaluate_rule(RULES[rule_id], host, {FACT: fact},
                           Dynamic(scan_time=dt.datetime.now(dt.UTC), contract_end=None))
    words = Wording("en")
    return result.status, " | ".join([
        words.summary(result), words.reason(fact),
        " ".join(d for e in result.evidence for d in words.decisive(e))])


def test_rules_fail_on_the_database_ports(estate: Estate) -> None:
    status, text = judge("NET-PORT-001", estate.fact, ("443/tcp", f"{estate.http}/tcp"))
    assert status is Status.FAIL
    assert "6379/tcp: redis Redis key-value store 7.0.15" in text
    assert "5432/tcp: postgresql PostgreSQL DB" in text
    assert f"{estate.http}/tcp:" not in text  # allowed: not in the violation's detail
    status, text = judge("NET-PORT-002", estate.fact, ("443/tcp", f"{estate.http}/tcp"))
    assert status is Status.FAIL
    assert "6379/tcp: redis" in text and "5432/tcp: postgresql" in text


def test_rules_pass_when_the_role_allows_them(estate: Estate) -> None:
    allowed = ("6379/tcp", "5432/tcp", f"{estate.http}/tcp")
    assert judge("NET-PORT-001", estate.fact, allowed)[0] is Status.PASS
    assert judge("NET-PORT-002", estate.fact, allowed)[0] is Status.PASS
    # the role allows redis only: postgres is still a sensitive port
    status, text = judge("NET-PORT-002", estate.fact, ("6379/tcp", f"{estate.http}/tcp"))
    assert status is Status.FAIL and "5432/tcp" in text and "6379/tcp:" not in text


def test_nmap_missing_is_an_error_and_rules_say_so(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory
    fact, ctx = scan("127.0.0.1", "22")
    assert_error(fact, ReasonCategory.TOOL_MISSING, "nmap is not installed")
    assert fact.value is None and ctx.connections == 0
    assert fact.reason == "nmap is not installed: apt-get install nmap"
    for rule_id in ("NET-PORT-001", "NET-PORT-002"):
        status, text = judge(rule_id, fact, ())
        assert status is Status.ERROR and "apt-get install nmap" in text


# ------------------------------------------------------------------ full range, other scan types

@needs_nmap
def test_default_scan_covers_every_tcp_port() -> None:
    address = fresh_address()
    ssh = Listener(address, 0, ssh_like)  # a banner: the service scan needs no wait
    fact, _ = scan(address)  # ProbeOptions() default: 1-65535 (its speed: bench/nmap_bench.py)
    ssh.close()
    assert seen(fact)[f"{ssh.port}/tcp"] == SSH
    assert "of ports 1-65535" in how(fact) and "65,535 scanned" in how(fact)


@needs_nmap
def test_ipv6_loopback() -> None:
    try:
        ssh = Listener("::1", 0, ssh_like)
    except OSError:
        pytest.skip("no IPv6 loopback")
    fact, _ = scan("::1", str(ssh.port))
    ssh.close()
    assert seen(fact) == {f"{ssh.port}/tcp": SSH}


@needs_nmap
@needs_root
def test_udp_top_ports() -> None:
    address = fresh_address()
    snmp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    snmp.bind((address, 161))
    mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute.bind((address, 53))  # bound, never answers: open|filtered

    def answer() -> None:
        with contextlib.suppress(OSError):
            while True:
                _, peer = snmp.recvfrom(4096)
                snmp.sendto(b"\x30\x03\x02\x01\x00", peer)

    threading.Thread(target=answer, daemon=True).start()
    fact, ctx = scan(address, str(free_port(address)), udp=True)
    snmp.close()
    mute.close()
    assert seen(fact) == {"161/udp": "snmp?"}
    assert "UDP scan (-sU) of the top 100 ports" in how(fact)
    assert "100 scanned, 1 open" in how(fact)
    assert "1 open|filtered (no answer; not counted as open)" in how(fact)
    assert "2 nmap runs counted as 2 connections" in how(fact)
    assert ctx.connections == 2


# ------------------------------------------------------------------ failures

@needs_nmap
def test_nmap_reported_failure() -> None:
    fact, ctx = scan("127.0.0.1", "70000")
    # nmap refusing what the probe passed it is counted as Rempart's own error
    assert_error(fact, ReasonCategory.INTERNAL_ERROR, "nmap failed: Ports specified must be")
    assert fact.reason == "nmap failed: Ports specified must be between 0 and 65535 inclusive"
    assert ctx.connections == 1


def test_refusals_before_running_nmap() -> None:
    target = ProbeTarget(None, 0, ServiceProtocol.HOST, None, "", host="h1")
    ctx = ProbeContext(timeout=3.0, deadline=time.monotonic() + 30)
    fact = run_probe(PortsProbe(), target, frozenset({FACT}), ctx)[0]
    assert_error(fact, ReasonCategory.BAD_INPUT, "no IP address")
    assert run_probe(PortsProbe(), target, frozenset({"tls.protocols"}), ctx) == []
    fact, ctx = scan("127.0.0.1", "22;reboot")
    assert_error(fact, ReasonCategory.BAD_INPUT, "invalid port specification")
    fact, ctx = scan("127.0.0.1", "22", budget=0.5)
    assert_error(fact, ReasonCategory.BUDGET_EXHAUSTED, "budget exhausted")
    assert fact.reason == "service time budget exhausted before the port scan"
    assert ctx.connections == 0


@needs_nmap
def test_deadline_overrun_is_an_error() -> None:
    mute = Listener("127.0.0.1", 0, silent)
    fact, _ = scan("127.0.0.1", str(mute.port), budget=2.0)
    mute.close()
    assert_error(fact, ReasonCategory.BUDGET_EXHAUSTED,
                 "gave up on 127.0.0.1 at the host timeout")


CANNED = """<nmaprun version="7.93"><scaninfo type="syn" protocol="tcp" numservices="3"
services="1-3"/><host>{status}<ports><extraports state="filtered" count="3">
<extrareasons reason="{reason}" count="3"/></extraports></ports></host>
<runstats><finished elapsed="1.5" exit="success"/></runstats></nmaprun>"""


def test_down_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """nmap -Pn reports every host up, so no real scan gives `down`; the probe still reads it.
    Filtered ports and ICMP host-unreachable come from real nmap runs in
    tests/netlab/test_nmap_states.py."""
    run = parse_xml(CANNED.format(status='<status state="down" reason="no-response"/>',
                                  reason="no-response"))
    monkeypatch.setattr(ports_module, "find_nmap", lambda: "/usr/bin/nmap")
    monkeypatch.setattr(ports_module, "run_nmap_hosts", lambda a, *_, **k: {a[0]: run})
    fact, _ = scan("127.0.0.1", "1-3")
    assert_error(fact, ReasonCategory.UNREACHABLE, "seems down (no-response)")


def test_details_are_short_and_printable() -> None:
    hostile = "Evil\x1b[31m<b>\u202e\x00srv\r\n" + "A" * 200
    clean = clean_detail(hostile)
    assert clean.isprintable() and len(clean) == 80 and clean.endswith("…")
    assert clean.startswith("Evil [31m<b> srv AAA")
