"""The certificate probe against real loopback servers presenting assorted certificates."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable

import pytest
from cryptography import x509

from scanner.demo.servers import RunningServers
from scanner.engine import gather
from scanner.models import CertificateSummary, Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeTarget
from scanner.probes.certificate import CERT_FACTS, CertificateProbe
from tests.conftest import (
    HOST,
    HOSTILE_CN,
    NAME,
    FakeServer,
    Handler,
    TlsPki,
    context,
    handshake,
    read_client_hello,
    server_hello,
    target,
    tls_record,
)
from tests.errors import assert_error
from tests.wording_help import how

ALL = CertificateProbe.provides
COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE


def run(t: ProbeTarget, ctx: ProbeContext, wanted: frozenset[str] = ALL,
        also: frozenset[str] = frozenset()) -> dict[str, Fact]:
    """The certificate facts, gathered as the engine does (the tls probe makes the session);
    `also`: tls facts gathered first in the same session."""
    facts = gather(t, wanted | also, ctx).facts
    assert [n for n in facts if n in CERT_FACTS] == [n for n in CERT_FACTS if n in wanted]
    return {n: f for n, f in facts.items() if n in CERT_FACTS}


def ca_ctx(pki: TlsPki) -> ProbeContext:
    return context(ca_file=pki.ca.cert_pem)


def chain(fact: Fact) -> tuple[CertificateSummary, ...]:
    assert fact.status is COMPLETED and isinstance(fact.value, tuple)
    return fact.value  # type: ignore[return-value]


def test_catalogue_is_covered() -> None:
    assert set(CERT_FACTS) == {
        "cert.present", "cert.chain", "cert.self_signed", "cert.trusted",
        "cert.hostname_match", "cert.not_before", "cert.not_after", "cert.key_type",
        "cert.key_bits", "cert.signature_hash",
    }


def test_good_chain_trusted_with_ca_file(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    ctx = ca_ctx(tls_pki)
    facts = run(target(tls_servers, "pcurves"), ctx)
    assert all(f.status is COMPLETED for f in facts.values()), facts
    assert facts["cert.present"].value is True
    certs = chain(facts["cert.chain"])
    assert len(certs) == 2
    leaf = certs[0]
    assert leaf.subject == "CN=good.test,O=Rempart Demo"
    assert leaf.issuer == tls_pki.ca.cert.subject.rfc4514_string()
    assert leaf.dns_names == (NAME,) and leaf.ip_addresses == (HOST,)
    assert leaf.not_after.tzinfo is not None
    assert (leaf.key_type, leaf.key_bits) == ("RSA", 2048)
    assert leaf.signature_algorithm == "sha256WithRSAEncryption"
    assert len(leaf.sha256_fingerprint.split(":")) == 32
    assert facts["cert.trusted"].value is True
    assert facts["cert.self_signed"].value is False
    assert facts["cert.hostname_match"].value is True
    assert facts["cert.key_type"].value == "RSA"
    assert facts["cert.key_bits"].value == 2048
    assert facts["cert.signature_hash"].value == "sha256"
    assert facts["cert.not_before"].value == tls_pki.good.cert.not_valid_before_utc
    assert facts["cert.not_after"].value == tls_pki.good.cert.not_valid_after_utc
    assert ctx.connections == 1  # one TLS 1.2 hello, first flight only


def test_without_the_ca_file_the_chain_is_untrusted(tls_servers: RunningServers) -> None:
    facts = run(target(tls_servers, "pcurves"), context(), frozenset({"cert.trusted"}))
    assert facts["cert.trusted"].value is False
    assert "untrusted" in how(facts["cert.trusted"])


def test_chain_reused_from_the_tls_probe(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    alone = ca_ctx(tls_pki)
    gather(target(tls_servers, "pcurves"), frozenset({"tls.protocols"}), alone)
    ctx = ca_ctx(tls_pki)
    facts = run(target(tls_servers, "pcurves"), ctx, also=frozenset({"tls.protocols"}))
    assert ctx.connections == alone.connections
    assert facts["cert.trusted"].value is True


def test_tls13_only_server_via_nassl(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    ctx = ca_ctx(tls_pki)
    facts = run(target(tls_servers, "tls13"), ctx)
    assert facts["cert.trusted"].value is True
    assert "TLS 1.3" in how(facts["cert.present"])
    assert ctx.connections == 2  # a refused TLS 1.2 hello, then the TLS 1.3 handshake
    alone = ca_ctx(tls_pki)
    gather(target(tls_servers, "tls13"), frozenset({"tls.protocols"}), alone)
    ctx2 = ca_ctx(tls_pki)
    tls13 = frozenset({"tls.protocols"})
    assert run(target(tls_servers, "tls13"), ctx2, also=tls13)["cert.trusted"].value is True
    assert ctx2.connections == alone.connections + 1  # protocols known: straight to TLS 1.3


def test_self_signed(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    facts = run(target(tls_servers, "selfsigned"), ca_ctx(tls_pki))
    assert facts["cert.self_signed"].value is True
    assert facts["cert.trusted"].value is False
    assert how(facts["cert.trusted"]).startswith("untrusted:")
    assert len(chain(facts["cert.chain"])) == 1


@pytest.mark.parametrize("name", ["expired", "future"])
def test_validity_is_reported_not_mixed_into_trust(
    tls_servers: RunningServers, tls_pki: TlsPki, name: str
) -> None:
    facts = run(target(tls_servers, name), ca_ctx(tls_pki))
    now = dt.datetime.now(dt.UTC)
    not_before, not_after = facts["cert.not_before"].value, facts["cert.not_after"].value
    assert isinstance(not_before, dt.datetime) and isinstance(not_after, dt.datetime)
    if name == "expired":
        assert not_after < now
    else:
        assert not_before > now
    assert facts["cert.trusted"].value is True


def test_wrong_host_name(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    t = target(tls_servers, "pcurves", sni="other.test", expected="other.test")
    facts = run(t, ca_ctx(tls_pki), frozenset({"cert.hostname_match", "cert.trusted"}))
    assert facts["cert.hostname_match"].value is False
    assert "other.test" in how(facts["cert.hostname_match"])
    assert facts["cert.trusted"].value is True


def test_ip_target_matches_ip_san_without_dns(
    tls_servers: RunningServers, tls_pki: TlsPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("DNS lookup attempted")

    for fn in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, fn, no_dns)
    t = target(tls_servers, "rejectip", sni=None, expected=HOST)
    facts = run(t, ca_ctx(tls_pki), frozenset({"cert.hostname_match", "cert.present"}))
    assert facts["cert.hostname_match"].value is True
    t13 = target(tls_servers, "tls13", sni=None, expected=HOST)
    assert run(t13, ca_ctx(tls_pki))["cert.hostname_match"].value is True


def test_rsa1024_sha1(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    facts = run(target(tls_servers, "weak"), ca_ctx(tls_pki))
    assert facts["cert.key_type"].value == "RSA"
    assert facts["cert.key_bits"].value == 1024
    assert facts["cert.signature_hash"].value == "sha1"
    # the WebPKI verifier forbids SHA-1 and short keys, but those are the key and signature
    # rules' verdicts: the chain above the leaf builds to the anchor, so it is trusted
    assert facts["cert.trusted"].value is True
    assert "the leaf's SHA1 signature, RSA 1024-bit key are judged" in how(facts["cert.trusted"])


def test_ec_key(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    facts = run(target(tls_servers, "ec"), ca_ctx(tls_pki))
    assert (facts["cert.key_type"].value, facts["cert.key_bits"].value) == ("EC", 256)
    assert facts["cert.signature_hash"].value == "sha256"


def test_hostile_subject_kept_as_data(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    facts = run(target(tls_servers, "hostile"), ca_ctx(tls_pki))
    subject = chain(facts["cert.chain"])[0].subject
    expected = x509.Name([
        x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Rempart Demo"),
        x509.NameAttribute(x509.NameOID.COMMON_NAME, HOSTILE_CN),
    ]).rfc4514_string()
    assert subject == expected
    assert "script" in subject and "&lt;" not in subject


def test_starttls_certificate(tls_servers: RunningServers, tls_pki: TlsPki) -> None:
    ctx = ca_ctx(tls_pki)
    facts = run(target(tls_servers, "smtp", ServiceProtocol.SMTP), ctx)
    assert facts["cert.trusted"].value is True
    assert ctx.connections == 1


def test_starttls_missing(tls_servers: RunningServers) -> None:
    facts = run(target(tls_servers, "smtp-noadv", ServiceProtocol.SMTP), context())
    for fact in facts.values():
        assert_error(fact, ReasonCategory.PROTOCOL_ERROR, "STARTTLS not offered")
    assert (facts["cert.present"].reason or "").startswith("STARTTLS not offered")


def test_silent_server(tls_servers: RunningServers) -> None:
    facts = run(target(tls_servers, "silent"), context(0.5))
    for fact in facts.values():
        assert_error(fact, ReasonCategory.TIMEOUT, "timed out")


def test_anonymous_only_server_presents_no_certificate(
    fake_server: Callable[[Handler], FakeServer],
) -> None:
    anon = 0x0034  # TLS_DH_anon_WITH_AES_128_CBC_SHA

    def handler(conn: socket.socket) -> None:
        hello = read_client_hello(conn)
        if hello is not None and hello[0] == (3, 3) and anon in hello[1]:
            conn.sendall(tls_record(22, server_hello(anon) + handshake(14, b"")))
        elif hello is not None:
            conn.sendall(tls_record(21, b"\x02\x28"))  # handshake_failure

    server = fake_server(handler)
    ctx = context()
    facts = run(server.target(), ctx, also=frozenset({"tls.protocols"}))
    assert (facts["cert.present"].status, facts["cert.present"].value) == (COMPLETED, False)
    assert "refused every suite that uses one" in how(facts["cert.present"])
    for name in CERT_FACTS[1:]:
        assert facts[name].status is NA
        assert facts[name].reason == "no certificate presented"
    assert ctx.connections == 6 + 1
