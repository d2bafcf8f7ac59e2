"""FTP (AUTH TLS), implicit FTPS, LDAP StartTLS, XMPP, PostgreSQL and SMTP submission: the same
TLS facts as every TLS service, through each protocol's own way into TLS.

FTP is pyftpdlib with its TLS handler (pyOpenSSL); LDAP, XMPP and PostgreSQL are the demo
servers' scripted plaintext starts that hand the socket to OpenSSL (Python ssl) on success.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from scanner import engine
from scanner.demo.servers import RunningServers, ServerSpec, start_servers
from scanner.engine import run_probe
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.tls import TlsProbe
from tests.conftest import FakeServer, Handler, TlsPki, context, target
from tests.errors import assert_error
from tests.wording_help import how

P = ServiceProtocol
COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE
TLS_FACTS = frozenset({"tls.protocols", "tls12.groups", "starttls.offered"})


@pytest.fixture(scope="module")
def servers(tls_pki: TlsPki, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[RunningServers]:
    files = {"chain_pem": str(tls_pki.good.chain_pem), "key_pem": str(tls_pki.good.key_pem)}
    curves = {"groups": "P-256:P-384:P-521"}
    specs = [
        ServerSpec("ftp-required", engine="ftp", **files, **curves, ftp_tls_required=True),
        ServerSpec("ftp-optional", engine="ftp", **files),
        ServerSpec("ftp-plain", engine="ftp", **files, starttls_advertised=False),
        ServerSpec("ftps", **files, **curves),
        ServerSpec("ldap", **files, **curves, mode="ldap"),
        ServerSpec("ldap-noadv", **files, mode="ldap", starttls_advertised=False),
        ServerSpec("xmpp", **files, **curves, mode="xmpp", max_version="TLSv1.2"),
        ServerSpec("xmpp-noadv", **files, mode="xmpp", starttls_advertised=False),
        ServerSpec("postgresql", **files, **curves, mode="postgresql"),
        ServerSpec("postgresql-noadv", **files, mode="postgresql", starttls_advertised=False),
        ServerSpec("submission", **files, **curves, mode="smtp"),
    ]
    with start_servers(specs, tmp_path_factory.mktemp("starttls")) as running:
        yield running


def gather(servers: RunningServers, name: str, protocol: ServiceProtocol,
           wanted: frozenset[str] = TLS_FACTS) -> tuple[dict[str, Fact], int]:
    ctx = context()
    facts = run_probe(TlsProbe(), target(servers, name, protocol), wanted, ctx, {})
    return {f.name: f for f in facts}, ctx.connections


def values(fact: Fact) -> list[str]:
    assert fact.status is COMPLETED, fact
    return [o.value for o in fact.value]  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "protocol", "versions"), [
    ("ftp-required", P.FTP, ["TLSv1.2", "TLSv1.3"]),
    ("ftps", P.FTPS, ["TLSv1.2", "TLSv1.3"]),
    ("ldap", P.LDAP, ["TLSv1.2", "TLSv1.3"]),
    ("xmpp", P.XMPP, ["TLSv1.2"]),
    ("postgresql", P.POSTGRESQL, ["TLSv1.2", "TLSv1.3"]),
    ("submission", P.SUBMISSION, ["TLSv1.2", "TLSv1.3"]),
])
def test_tls_rules_hold_on_every_protocol(servers: RunningServers, name: str,
                                          protocol: ServiceProtocol, versions: list[str]) -> None:
    facts, connections = gather(servers, name, protocol)
    assert values(facts["tls.protocols"]) == versions
    assert values(facts["tls12.groups"]) == ["secp256r1", "secp384r1", "secp521r1"]
    starttls = facts["starttls.offered"]
    if protocol is P.FTPS:
        assert starttls.status is NA
    else:
        assert starttls.value is True, starttls
    # one hello per version, one per P-curve or other accepted group, one that ends the search
    assert connections <= 6 + 3 + len(values(facts["tls12.groups"])) + 1


def test_certificate_through_ldap_starttls(servers: RunningServers) -> None:
    ctx = context()
    t = target(servers, "ldap", P.LDAP)
    facts = engine.gather(t, frozenset({"tls.protocols", "cert.hostname_match"}), ctx).facts
    assert facts["cert.hostname_match"].value is True


@pytest.mark.parametrize(("name", "protocol", "words"), [
    ("ftp-plain", P.FTP, "AUTH TLS refused: 500"),
    ("ldap-noadv", P.LDAP, "LDAP StartTLS refused: unavailable"),
    ("xmpp-noadv", P.XMPP, "the XMPP stream features do not list starttls"),
    ("postgresql-noadv", P.POSTGRESQL, "answered SSLRequest with N"),
])
def test_no_tls_offered(servers: RunningServers, name: str, protocol: ServiceProtocol,
                        words: str) -> None:
    facts, connections = gather(servers, name, protocol)
    assert facts["starttls.offered"].value is False
    assert words in how(facts["starttls.offered"])
    assert_error(facts["tls.protocols"], ReasonCategory.PROTOCOL_ERROR, words)
    assert connections == 1


@pytest.mark.parametrize(("name", "accepted"), [
    ("ftp-required", False), ("ftp-optional", True), ("ftp-plain", True),
])
def test_ftp_user_in_clear(servers: RunningServers, name: str, accepted: bool) -> None:
    facts, connections = gather(servers, name, P.FTP, frozenset({"ftp.clear_login"}))
    fact = facts["ftp.clear_login"]
    assert fact.value is accepted, fact
    assert ("reply 331" if accepted else "reply 550 'SSL/TLS required") in how(fact)
    assert connections == 1


def test_clear_login_is_only_for_ftp(servers: RunningServers) -> None:
    facts, _ = gather(servers, "ftps", P.FTPS, frozenset({"ftp.clear_login"}))
    assert facts["ftp.clear_login"].status is NA


@pytest.mark.parametrize(("protocol", "answer", "category", "words"), [
    (P.POSTGRESQL, b"X", ReasonCategory.PROTOCOL_ERROR,
     "not a PostgreSQL answer to SSLRequest: 'X'"),
    (P.LDAP, b"HTTP/1.0 400 Bad\r\n\r\n", ReasonCategory.PROTOCOL_ERROR, "not an LDAP message"),
    (P.LDAP, b"\x30\x84\xff\xff\xff\xff", ReasonCategory.PROTOCOL_ERROR, "LDAP message of"),
    (P.XMPP, b"<html>nope</html>" + b"x" * 70000, ReasonCategory.PROTOCOL_ERROR,
     "bytes while waiting for"),
    (P.FTP, b"421 Too many users\r\n", ReasonCategory.PROTOCOL_ERROR, "FTP banner 421"),
    (P.FTP, b"220 ok\r\n", ReasonCategory.TIMEOUT, "timed out"),
])
def test_hostile_plaintext_starts_are_errors(
        fake_server: Callable[[Handler], FakeServer], protocol: ServiceProtocol, answer: bytes,
        category: ReasonCategory, words: str) -> None:
    def handler(conn: object) -> None:
        import socket
        assert isinstance(conn, socket.socket)
        if protocol is P.FTP:
            conn.sendall(answer)
            conn.recv(1024)
            conn.recv(1024)
            return
        conn.recv(1024)
        conn.sendall(answer)
        conn.recv(1024)

    server = fake_server(handler)
    ctx = context(timeout=1.0)
    facts = run_probe(TlsProbe(), server.target(protocol), frozenset({"starttls.offered"}), ctx,
                      {})
    assert_error(facts[0], category, words)
