"""The tls probe against real loopback servers: versions, weak suites, groups, STARTTLS."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from tlslite.constants import ExtensionType
from tlslite.messages import ClientHello
from tlslite.utils.codec import Parser

from scanner.demo.servers import RunningServers
from scanner.engine import gather, run_probe
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeTarget
from scanner.probes.tls import TLS_SESSION, TlsProbe, TlsSession
from scanner.probes.tls.hello import HelloSpec, client_hello
from scanner.probes.tls.probe import FACT_ORDER
from scanner.probes.tls.session import version_spec
from tests.conftest import (
    HOST,
    NAME,
    FakeServer,
    Handler,
    context,
    handshake,
    read_client_hello,
    server_hello,
    target,
    tls_record,
)
from tests.errors import assert_error
from tests.wording_help import how

# the default packs' facts; the tls-hardening ones: test_tls_curves.py, test_tls_kx.py
ALL = frozenset({"tls.protocols", "tls.weak_suites", "tls12.groups", "tls13.groups",
                 "starttls.offered"})
COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE


def run(t: ProbeTarget, wanted: frozenset[str] = ALL,
        ctx: ProbeContext | None = None) -> tuple[dict[str, Fact], ProbeContext]:
    ctx = ctx or context()
    facts = run_probe(TlsProbe(), t, wanted, ctx)
    assert [f.name for f in facts] == [n for n in FACT_ORDER if n in wanted]
    return {f.name: f for f in facts}, ctx


def values(fact: Fact) -> list[str]:
    assert fact.status is COMPLETED, fact
    assert isinstance(fact.value, tuple)
    return [o.value for o in fact.value]  # type: ignore[union-attr]


def server_count(servers: RunningServers, name: str, before: int, expected: int) -> int:
    """Connections the server saw since `before` (accepts can lag the client a little)."""
    seen = servers.connections(name) - before
    for _ in range(20):
        if seen >= expected:
            break
        time.sleep(0.05)
        seen = servers.connections(name) - before
    return seen


# ---------------------------------------------------------------- protocol versions


def test_p_curves_server_all_facts_within_budget(tls_servers: RunningServers) -> None:
    before = tls_servers.connections("pcurves")
    facts, ctx = run(target(tls_servers, "pcurves"))
    assert values(facts["tls.protocols"]) == ["TLSv1.2", "TLSv1.3"]
    assert values(facts["tls.weak_suites"]) == []
    assert values(facts["tls12.groups"]) == ["secp256r1", "secp384r1", "secp521r1"]
    assert values(facts["tls13.groups"]) == ["secp256r1", "secp384r1", "secp521r1"]
    assert facts["starttls.offered"].status is NA
    assert ctx.connections <= 16, ctx.connections
    assert server_count(tls_servers, "pcurves", before, ctx.connections) == ctx.connections
    assert "TLSv1.1: refused (alert protocol_version)" in how(facts["tls.protocols"])
    assert "in 1 handshake: refused (alert" in how(facts["tls.weak_suites"])
    session = gather(target(tls_servers, "pcurves"), ALL, context()).artefacts[TLS_SESSION.name]
    assert isinstance(session, TlsSession) and session.clear_chain  # for the certificate probe


def test_protocols_alone_take_one_hello_per_version(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "pcurves"), frozenset({"tls.protocols"}))
    assert values(facts["tls.protocols"]) == ["TLSv1.2", "TLSv1.3"]
    assert ctx.connections == 6


def test_tls10_only_server(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "tls10"))
    assert values(facts["tls.protocols"]) == ["TLSv1.0"]
    assert "negotiated TLSv1.0 instead" in how(facts["tls.protocols"])
    assert facts["tls12.groups"].status is NA
    assert facts["tls12.groups"].reason == "TLS 1.2 not accepted"
    assert facts["tls13.groups"].reason == "TLS 1.3 not accepted"
    assert values(facts["tls.weak_suites"]) == []
    assert ctx.connections <= 7


def test_tls13_only_server(tls_servers: RunningServers) -> None:
    facts, _ = run(target(tls_servers, "tls13"), frozenset({"tls.protocols", "tls.weak_suites"}))
    assert values(facts["tls.protocols"]) == ["TLSv1.3"]
    assert values(facts["tls.weak_suites"]) == []
    assert "nothing to offer" in how(facts["tls.weak_suites"])


def test_sslv3_rc4_and_3des_via_tlslite(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "legacy"),
                     frozenset({"tls.protocols", "tls.weak_suites"}))
    assert values(facts["tls.protocols"]) == ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"]
    weak = facts["tls.weak_suites"]
    assert values(weak) == ["rc4", "3des", "md5"]
    assert isinstance(weak.value, tuple)
    details = {o.value: o.detail for o in weak.value}  # type: ignore[union-attr]
    assert "RC4" in details["rc4"] and "under TLSv1.2" in details["rc4"]
    assert "3DES_EDE_CBC" in details["3des"]
    assert details["md5"].split(" ")[0].endswith("_MD5")
    assert ctx.connections <= 6 + 4 + 3


def test_sslv2_detected(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "sslv2"), frozenset({"tls.protocols", "tls.weak_suites"}))
    assert values(facts["tls.protocols"]) == ["SSLv2"]
    assert values(facts["tls.weak_suites"]) == ["rc4", "3des", "des", "export", "md5"]
    assert "SSL_CK_DES_192_EDE3_CBC_WITH_MD5 under SSLv2" in str(facts["tls.weak_suites"].value)
    assert ctx.connections == 6  # the TLS hellos were closed, SSL 2.0 answered
    wanted = frozenset({"tls.protocols", "tls.weak_suites"})
    session = gather(target(tls_servers, "sslv2"), wanted, context()).artefacts[TLS_SESSION.name]
    assert isinstance(session, TlsSession) and session.clear_chain  # the SERVER-HELLO certificate


# ---------------------------------------------------------------- groups


def test_x25519_only_tls12_server(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "x25519"), frozenset({"tls.protocols", "tls12.groups"}))
    assert values(facts["tls.protocols"]) == ["TLSv1.2"]
    assert values(facts["tls12.groups"]) == ["x25519"]
    assert "secp256r1: refused" in how(facts["tls12.groups"])
    assert ctx.connections <= 6 + 4


def test_p256_only_server(tls_servers: RunningServers) -> None:
    facts, _ = run(target(tls_servers, "p256"), frozenset({"tls12.groups", "tls13.groups"}))
    assert values(facts["tls12.groups"]) == ["secp256r1"]
    assert values(facts["tls13.groups"]) == ["secp256r1"]


def test_tls13_groups_of_a_default_server(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "tls13"), frozenset({"tls13.groups"}))
    got = values(facts["tls13.groups"])
    assert {"secp256r1", "secp384r1", "secp521r1", "x25519", "x448"} <= set(got)
    assert ctx.connections <= 6 + len(got) + 1


# ---------------------------------------------------------------- STARTTLS


@pytest.mark.parametrize(("name", "protocol", "versions"), [
    ("smtp", ServiceProtocol.SMTP, ["TLSv1.2", "TLSv1.3"]),
    ("imap", ServiceProtocol.IMAP, ["TLSv1.2", "TLSv1.3"]),
    ("pop3", ServiceProtocol.POP3, ["TLSv1.2"]),
])
def test_starttls_services(tls_servers: RunningServers, name: str,
                           protocol: ServiceProtocol, versions: list[str]) -> None:
    facts, ctx = run(target(tls_servers, name, protocol),
                     frozenset({"tls.protocols", "starttls.offered"}))
    assert values(facts["tls.protocols"]) == versions
    assert facts["starttls.offered"].value is True
    assert ctx.connections == 6


@pytest.mark.parametrize(("name", "protocol"), [
    ("smtp-noadv", ServiceProtocol.SMTP),
    ("imap-noadv", ServiceProtocol.IMAP),
    ("pop3-noadv", ServiceProtocol.POP3),
])
def test_starttls_not_offered(tls_servers: RunningServers, name: str,
                              protocol: ServiceProtocol) -> None:
    facts, ctx = run(target(tls_servers, name, protocol))
    offered = facts["starttls.offered"]
    assert (offered.status, offered.value) == (COMPLETED, False)
    for key in ("tls.protocols", "tls.weak_suites", "tls12.groups", "tls13.groups"):
        assert_error(facts[key], ReasonCategory.PROTOCOL_ERROR, "STARTTLS not offered")
        assert (facts[key].reason or "").startswith("STARTTLS not offered"), facts[key]
    assert ctx.connections == 1


def test_starttls_offered_alone_needs_one_connection(tls_servers: RunningServers) -> None:
    facts, ctx = run(target(tls_servers, "smtp", ServiceProtocol.SMTP),
                     frozenset({"starttls.offered"}))
    assert facts["starttls.offered"].value is True
    assert ctx.connections == 1


def test_starttls_against_a_plain_tls_port_is_an_error(tls_servers: RunningServers) -> None:
    facts, _ = run(target(tls_servers, "pcurves", ServiceProtocol.SMTP), ctx=context(0.5))
    for name in ("starttls.offered", "tls.protocols"):
        assert_error(facts[name], ReasonCategory.TIMEOUT, "timed out")


# ---------------------------------------------------------------- IP targets, no DNS


def test_ip_target_sends_no_sni_and_resolves_nothing(
    tls_servers: RunningServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("DNS lookup attempted")

    for fn in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, fn, no_dns)
    t = target(tls_servers, "rejectip", sni=None, expected=HOST)
    facts, _ = run(t, frozenset({"tls.protocols", "tls12.groups"}))
    assert values(facts["tls.protocols"]) == ["TLSv1.2", "TLSv1.3"]
    assert facts["tls12.groups"].status is COMPLETED


def test_client_hello_carries_sni_only_for_names() -> None:
    def extensions(record: bytes) -> list[int]:
        hello = ClientHello().parse(Parser(bytearray(record[6:])))
        return [e.extType for e in hello.extensions]

    assert ExtensionType.server_name not in extensions(client_hello(version_spec("TLSv1.2"), None))
    with_sni = client_hello(HelloSpec("TLSv1.3", (0x1301,), ("x25519",), ("x25519",)), NAME)
    assert ExtensionType.server_name in extensions(with_sni)
    assert NAME.encode() in with_sni


# ---------------------------------------------------------------- broken services


@pytest.mark.parametrize(("name", "category", "words"), [
    ("silent", ReasonCategory.TIMEOUT, "timed out"),
    ("garbage", ReasonCategory.PROTOCOL_ERROR, "not a TLS record"),
    ("reset", ReasonCategory.RESET, "reset every connection"),
])
def test_broken_services_give_errors(tls_servers: RunningServers, name: str,
                                     category: ReasonCategory, words: str) -> None:
    facts, ctx = run(target(tls_servers, name), ctx=context(0.5))
    for key in ("tls.protocols", "tls.weak_suites", "tls12.groups", "tls13.groups"):
        assert_error(facts[key], category, words)
    assert ctx.connections <= 6


def test_closed_port_is_an_error() -> None:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    facts, ctx = run(ProbeTarget(HOST, port, ServiceProtocol.TLS, None, HOST))
    assert_error(facts["tls.protocols"], ReasonCategory.REFUSED, "failed")
    assert ctx.connections == 1


# ---------------------------------------------------------------- hostile scripted peers


def test_anonymous_only_server(fake_server: Callable[[Handler], FakeServer]) -> None:
    anon = 0x0034  # TLS_DH_anon_WITH_AES_128_CBC_SHA

    def handler(conn: socket.socket) -> None:
        hello = read_client_hello(conn)
        if hello is None:
            return  # SSL 2.0: close
        version, suites = hello
        if version == (3, 3) and anon in suites:
            conn.sendall(tls_record(22, server_hello(anon) + handshake(14, b"")))
        else:
            conn.sendall(tls_record(21, b"\x02\x28"))  # handshake_failure

    server = fake_server(handler)
    facts, _ = run(server.target(), frozenset({"tls.protocols", "tls.weak_suites"}))
    assert values(facts["tls.protocols"]) == ["TLSv1.2"]
    assert values(facts["tls.weak_suites"]) == ["anon"]
    assert "TLS_DH_anon_WITH_AES_128_CBC_SHA under TLSv1.2" in str(facts["tls.weak_suites"].value)


@pytest.mark.parametrize(("reply", "category", "words"), [
    (tls_record(22, server_hello(0x1301)), ReasonCategory.PROTOCOL_ERROR,
     "ServerHello pairs TLS_AES_128_GCM_SHA256"),
    (tls_record(22, b"\x02\xff\xff\xff" + bytes(64)), ReasonCategory.PROTOCOL_ERROR,
     "handshake message of"),
    (tls_record(21, b"\x02"), ReasonCategory.PROTOCOL_ERROR, "malformed alert"),
    (tls_record(22, server_hello(0xC02F)[:20]), ReasonCategory.RESET,
     "closed in the middle of a TLS record"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", ReasonCategory.PROTOCOL_ERROR,
     "not a TLS record: 'HTTP/1.1 400"),
])
def test_malformed_answers_are_errors(fake_server: Callable[[Handler], FakeServer],
                                      reply: bytes, category: ReasonCategory,
                                      words: str) -> None:
    def handler(conn: socket.socket) -> None:
        read_client_hello(conn)
        conn.sendall(reply)

    facts, ctx = run(fake_server(handler).target(), frozenset({"tls.protocols"}), context(0.5))
    assert_error(facts["tls.protocols"], category, words)
    assert ctx.connections == 1  # the first error settles the fact


def test_slow_drip_hits_the_deadline(fake_server: Callable[[Handler], FakeServer]) -> None:
    def handler(conn: socket.socket) -> None:
        read_client_hello(conn)
        for byte in tls_record(22, server_hello(0xC02F)):
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    # every byte within the 0.5 s step timeout; the whole hello (~5 s) only past the deadline
    facts, _ = run(fake_server(handler).target(), frozenset({"tls.protocols"}), context(0.5))
    assert_error(facts["tls.protocols"], ReasonCategory.TIMEOUT, "timed out")


@pytest.mark.parametrize(("script", "words"), [
    ([b"220-hello\r\n" * 200], "longer than 100 lines"),
    ([b"220 " + b"a" * 10000 + b"\r\n"], "line longer than 4096 bytes"),
    ([b"554 <script>go away</script>\r\n"], "SMTP banner 554"),
    ([b"220 hi\r\n", b"250-x\r\n250 STARTTLS\r\n", b"220 go\r\n\x16\x03\x03"],
     "sent data after its go-ahead for TLS"),
])
def test_hostile_smtp_preambles(fake_server: Callable[[Handler], FakeServer],
                                script: list[bytes], words: str) -> None:
    def handler(conn: socket.socket) -> None:
        for i, chunk in enumerate(script):
            if i:
                conn.recv(1024)
            conn.sendall(chunk)
        time.sleep(0.3)

    server = fake_server(handler)
    facts, ctx = run(server.target(ServiceProtocol.SMTP),
                     frozenset({"tls.protocols", "starttls.offered"}), context(0.5))
    for name in ("tls.protocols", "starttls.offered"):
        assert_error(facts[name], ReasonCategory.PROTOCOL_ERROR, words)
    assert ctx.connections == 1


def test_server_refusing_the_name_is_an_error(
    fake_server: Callable[[Handler], FakeServer],
) -> None:
    def handler(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(tls_record(21, b"\x02\x70"))  # fatal unrecognized_name

    facts, ctx = run(fake_server(handler).target(), frozenset({"tls.protocols", "tls12.groups"}))
    for name in ("tls.protocols", "tls12.groups"):
        assert_error(facts[name], ReasonCategory.PROTOCOL_ERROR,
                     "no server name (IP target) (alert unrecognized_name)")
    assert ctx.connections == 6
