"""The sslyze-backed vulnerabilities probe: real loopback servers through the relay, and the
mapping of sslyze's result objects for the flaws no maintained library reproduces."""

from __future__ import annotations

import socket
import threading
import traceback
from collections.abc import Callable, Iterator

import pytest
from sslyze.plugins.heartbleed_plugin import HeartbleedScanResult
from sslyze.plugins.openssl_ccs_injection_plugin import OpenSslCcsInjectionScanResult
from sslyze.plugins.robot._robot_tester import RobotScanResultEnum
from sslyze.plugins.robot.implementation import RobotScanResult
from sslyze.scanner.scan_command_attempt import (
    ScanCommandAttempt,
    ScanCommandAttemptStatusEnum,
    ScanCommandErrorReasonEnum,
)

from scanner.demo.servers import RunningServers, ServerSpec, start_servers
from scanner.engine import run_probe
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeTarget
from scanner.probes.vulns.mapping import fact_from_attempt
from scanner.probes.vulns.probe import VulnerabilitiesProbe
from tests.conftest import HOST, NAME, FakeServer, Handler, TlsPki, context, target
from tests.errors import assert_error
from tests.wording_help import how

ALL = VulnerabilitiesProbe.provides
COMPLETED, ERROR = ProbeStatus.COMPLETED, ProbeStatus.ERROR


@pytest.fixture(scope="module")
def servers(tls_pki: TlsPki, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[RunningServers]:
    files = {"chain_pem": str(tls_pki.good.chain_pem), "key_pem": str(tls_pki.good.key_pem)}
    specs = [
        ServerSpec("tls12-rsa", **files, max_version="TLSv1.2", client_renegotiation=True,
                   ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256"),
        ServerSpec("tls12-norenego", **files, max_version="TLSv1.2"),
        ServerSpec("tls13", **files, min_version="TLSv1.3"),
        ServerSpec("smtp", **files, mode="smtp", max_version="TLSv1.2"),
    ]
    with start_servers(specs, tmp_path_factory.mktemp("vulns")) as running:
        yield running


def scan(servers: RunningServers, name: str, protocol: ServiceProtocol = ServiceProtocol.HTTPS,
         wanted: frozenset[str] = ALL) -> tuple[dict[str, Fact], int]:
    ctx = context(timeout=5.0)
    facts = run_probe(VulnerabilitiesProbe(), target(servers, name, protocol), wanted, ctx, {})
    return {f.name: f for f in facts}, ctx.connections


def test_tls12_server_with_rsa_key_exchange(servers: RunningServers) -> None:
    before = servers.connections("tls12-rsa")
    facts, connections = scan(servers, "tls12-rsa")
    assert {n: f.status for n, f in facts.items()} == dict.fromkeys(ALL, COMPLETED), facts
    assert facts["tls.heartbleed"].value is False
    assert facts["tls.ccs_injection"].value is False
    assert facts["tls.robot"].value == "not_vulnerable"
    assert facts["tls.client_renegotiation"].value is True  # allowed in this server's config
    assert "accepted" in how(facts["tls.client_renegotiation"])
    resumption = facts["tls.session_resumption"]
    assert "tls_ticket" in [o.value for o in resumption.value]  # type: ignore[union-attr]
    assert "tls_ticket: FULLY_SUPPORTED (5/5)" in how(resumption)
    assert "session_id: " in how(resumption)
    # every sslyze connection went through ctx.connect (the relay)
    assert connections > 10
    assert servers.connections("tls12-rsa") - before >= connections - 1


def test_openssl3_refuses_client_renegotiation_by_default(servers: RunningServers) -> None:
    facts, _ = scan(servers, "tls12-norenego", wanted=frozenset({"tls.client_renegotiation"}))
    assert facts["tls.client_renegotiation"].value is False
    assert "refused" in how(facts["tls.client_renegotiation"])


def test_tls13_only_server(servers: RunningServers) -> None:
    facts, _ = scan(servers, "tls13")
    assert facts["tls.robot"].value == "rsa_not_supported"
    assert facts["tls.client_renegotiation"].value is False
    assert facts["tls.session_resumption"].status is ProbeStatus.NOT_APPLICABLE


def test_starttls_service_through_sslyze(servers: RunningServers) -> None:
    facts, _ = scan(servers, "smtp", ServiceProtocol.SMTP, frozenset({"tls.heartbleed"}))
    assert facts["tls.heartbleed"].status is COMPLETED, facts["tls.heartbleed"]
    assert facts["tls.heartbleed"].value is False


def test_ip_only_target_is_an_error_not_an_ip_sni(servers: RunningServers) -> None:
    ctx = context()
    t = target(servers, "tls13", sni=None, expected=HOST)
    facts = run_probe(VulnerabilitiesProbe(), t, ALL, ctx, {})
    for fact in facts:
        assert_error(fact, ReasonCategory.BAD_INPUT, "never sent as one")
    assert ctx.connections == 0


def test_unreachable_service_is_an_error(servers: RunningServers) -> None:
    ctx = context(timeout=1.0)
    t = ProbeTarget(HOST, 1, ServiceProtocol.HTTPS, NAME, NAME)  # nothing listens on port 1
    facts = run_probe(VulnerabilitiesProbe(), t, frozenset({"tls.heartbleed"}), ctx, {})
    assert_error(facts[0], ReasonCategory.REFUSED, "sslyze could not reach the service")


# ---------------------------------------------------------------- sslyze's own result objects

def _done(result: object) -> ScanCommandAttempt:  # type: ignore[type-arg]
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.COMPLETED, error_reason=None,
                              error_trace=None, result=result)


@pytest.mark.parametrize(("name", "result", "value"), [
    ("tls.heartbleed", HeartbleedScanResult(is_vulnerable_to_heartbleed=True), True),
    ("tls.ccs_injection", OpenSslCcsInjectionScanResult(is_vulnerable_to_ccs_injection=True),
     True),
    ("tls.robot", RobotScanResult(robot_result=RobotScanResultEnum.VULNERABLE_STRONG_ORACLE),
     "vulnerable_strong_oracle"),
    ("tls.robot", RobotScanResult(robot_result=RobotScanResultEnum.VULNERABLE_WEAK_ORACLE),
     "vulnerable_weak_oracle"),
])
def test_vulnerable_results_map_to_failing_facts(name: str, result: object,
                                                 value: object) -> None:
    fact = fact_from_attempt(name, _done(result))
    assert (fact.status, fact.value) == (COMPLETED, value)


def test_inconsistent_robot_result_is_an_error() -> None:
    fact = fact_from_attempt("tls.robot", _done(RobotScanResult(
        robot_result=RobotScanResultEnum.UNKNOWN_INCONSISTENT_RESULTS)))
    assert_error(fact, ReasonCategory.PROTOCOL_ERROR, "UNKNOWN_INCONSISTENT_RESULTS")


def test_sslyze_errors_become_errors_with_the_reason() -> None:
    try:
        raise ConnectionResetError("peer reset the heartbeat")
    except ConnectionResetError as exc:
        trace = traceback.TracebackException.from_exception(exc)
    attempt = ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.ERROR,
                                 error_reason=ScanCommandErrorReasonEnum.CONNECTIVITY_ISSUE,
                                 error_trace=trace, result=None)
    fact = fact_from_attempt("tls.heartbleed", attempt)
    assert_error(fact, ReasonCategory.UNREACHABLE, "sslyze heartbleed failed")
    assert fact.reason == ("sslyze heartbleed failed: CONNECTIVITY_ISSUE "
                           "(ConnectionResetError: peer reset the heartbeat)")


# ---------------------------------------------------------------- a Heartbleed-vulnerable front

def _records(sock: socket.socket) -> Iterator[bytes]:
    """Whole TLS records (header included) as they arrive; ends when the peer closes."""
    buf = b""
    while True:
        while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5]):
            size = 5 + int.from_bytes(buf[3:5])
            yield buf[:size]
            buf = buf[size:]
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        buf += chunk


def heartbleed_front(upstream_port: int) -> Callable[[socket.socket], None]:
    """Relays to a real TLS 1.2 server but answers heartbeat requests as OpenSSL 1.0.1f did:
    echoing the request's data and reading past it (filler here), once the server's flight has
    gone out (a request that arrives earlier waits for it; one that arrives later is answered
    at once: which comes first is a race between the two directions)."""

    def handle(client: socket.socket) -> None:
        upstream = socket.create_connection((HOST, upstream_port), timeout=5)
        asked: list[bytes] = []  # heartbeat requests waiting for the server's flight to end
        lock = threading.Lock()
        flight_sent = False

        def answer(record: bytes) -> None:
            request = record[5:]
            claimed = min(int.from_bytes(request[1:3]), 16381)
            leaked = (request[3:] + b"\x41" * claimed)[:claimed]  # reads past the data
            reply = b"\x02" + claimed.to_bytes(2, "big") + leaked
            client.sendall(b"\x18" + record[1:3] + len(reply).to_bytes(2, "big") + reply)

        def from_client() -> None:
            for record in _records(client):
                if record[0] == 24:  # heartbeat request: answered here, never forwarded
                    with lock:
                        if flight_sent:
                            answer(record)
                        else:
                            asked.append(record)
                    continue
                upstream.sendall(record)
            upstream.close()

        threading.Thread(target=from_client, daemon=True).start()
        for record in _records(upstream):
            with lock:
                client.sendall(record)
                if record[0] == 22 and record.endswith(b"\x0e\x00\x00\x00"):  # ServerHelloDone
                    flight_sent = True
                    while asked:
                        answer(asked.pop(0))

    return handle


def test_heartbleed_vulnerable_server(servers: RunningServers,
                                      fake_server: Callable[[Handler], FakeServer]) -> None:
    front = fake_server(heartbleed_front(servers.port("tls12-rsa")))
    ctx = context(timeout=5.0)
    t = ProbeTarget(HOST, front.port, ServiceProtocol.HTTPS, NAME, NAME)
    [fact] = run_probe(VulnerabilitiesProbe(), t, frozenset({"tls.heartbleed"}), ctx, {})
    assert (fact.status, fact.value) == (COMPLETED, True), fact
    assert "answered with server memory" in how(fact)


def ccs_front(upstream_port: int) -> Callable[[socket.socket], None]:
    """Relays to a real TLS 1.2 server, but takes a ChangeCipherSpec that comes before the
    client's key exchange as OpenSSL before 1.0.1h did: it switches keys and then fails to
    decrypt the next record (alert bad_record_mac)."""

    def handle(client: socket.socket) -> None:
        upstream = socket.create_connection((HOST, upstream_port), timeout=5)
        client_handshakes = 0

        def from_server() -> None:
            for record in _records(upstream):
                client.sendall(record)

        threading.Thread(target=from_server, daemon=True).start()
        for record in _records(client):
            if record[0] == 22:
                client_handshakes += 1
            if record[0] == 20 and client_handshakes == 1:  # CCS right after the ClientHello
                client.sendall(b"\x15" + record[1:3] + b"\x00\x02\x02\x14")  # bad_record_mac
                break
            upstream.sendall(record)
        upstream.close()

    return handle


def test_ccs_injection_vulnerable_server(servers: RunningServers,
                                         fake_server: Callable[[Handler], FakeServer]) -> None:
    front = fake_server(ccs_front(servers.port("tls12-rsa")))
    ctx = context(timeout=5.0)
    t = ProbeTarget(HOST, front.port, ServiceProtocol.HTTPS, NAME, NAME)
    [fact] = run_probe(VulnerabilitiesProbe(), t, frozenset({"tls.ccs_injection"}), ctx, {})
    assert (fact.status, fact.value) == (COMPLETED, True), fact
    assert "accepted (CVE-2014-0224)" in how(fact)
