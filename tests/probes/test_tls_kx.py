"""Weak key exchange and protocol options (tls-hardening facts) against real and scripted servers.

Real servers: OpenSSL through Python ssl with 1024-bit and 2048-bit DH parameters and with RSA
key exchange. What today's OpenSSL cannot be made to do (TLS compression, no RFC 5746, no
TLS_FALLBACK_SCSV) is a scripted legacy server that answers the hellos as such a server does.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from scanner.demo.pki import write_dh_params
from scanner.demo.servers import RunningServers, ServerSpec, start_servers
from scanner.engine import run_probe
from scanner.models import Fact, ProbeStatus, ReasonCategory
from scanner.probes.tls import TlsProbe
from tests.conftest import (
    FakeServer,
    Handler,
    TlsPki,
    context,
    handshake,
    target,
    tls_record,
)
from tests.errors import assert_error
from tests.wording_help import how

KX = frozenset({"tls.protocols", "tls.dhe_min_bits", "tls.rsa_key_exchange", "tls.compression",
                "tls.secure_renegotiation", "tls.fallback_scsv"})
COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE
DHE_AND_ECDHE = "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256"


@pytest.fixture(scope="module")
def kx_servers(tls_pki: TlsPki, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[RunningServers]:
    d = tmp_path_factory.mktemp("kx")
    files = {"chain_pem": str(tls_pki.good.chain_pem), "key_pem": str(tls_pki.good.key_pem)}
    weak, strong = write_dh_params(d / "dh1024.pem", 1024), write_dh_params(d / "dh2048.pem", 2048)
    specs = [
        ServerSpec("dhe1024", **files, max_version="TLSv1.2", dh_params=str(weak),
                   ciphers=f"{DHE_AND_ECDHE}:@SECLEVEL=1"),
        ServerSpec("dhe2048-rsa", **files, max_version="TLSv1.2", dh_params=str(strong),
                   ciphers=f"{DHE_AND_ECDHE}:AES128-GCM-SHA256"),
        ServerSpec("tls10-modern", **files, min_version="TLSv1.0"),
    ]
    with start_servers(specs, d / "servers") as running:
        yield running


def gather(t: object, ctx_timeout: float = 3.0) -> tuple[dict[str, Fact], int]:
    ctx = context(ctx_timeout)
    facts = run_probe(TlsProbe(), t, KX, ctx)
    return {f.name: f for f in facts}, ctx.connections


def test_weak_dhe_group(kx_servers: RunningServers) -> None:
    facts, connections = gather(target(kx_servers, "dhe1024"))
    dhe = facts["tls.dhe_min_bits"]
    assert (dhe.status, dhe.value) == (COMPLETED, 1024), dhe
    assert "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 under TLSv1.2" in how(dhe)
    assert facts["tls.rsa_key_exchange"].value is False
    assert facts["tls.compression"].value is False
    assert facts["tls.secure_renegotiation"].value is True
    assert facts["tls.fallback_scsv"].status is NA  # TLS 1.2 is the oldest version accepted
    # versions (6), DHE hello (1, compression read from it), RSA hello (1)
    assert connections == 6 + 2


def test_strong_dhe_group_and_rsa_key_exchange(kx_servers: RunningServers) -> None:
    facts, _ = gather(target(kx_servers, "dhe2048-rsa"))
    assert facts["tls.dhe_min_bits"].value == 2048
    rsa = facts["tls.rsa_key_exchange"]
    assert rsa.value is True
    assert "TLSv1.2: accepted TLSv1.2 with TLS_RSA_WITH_AES_128_GCM_SHA256" in how(rsa)


def test_modern_openssl_server(tls_servers: RunningServers) -> None:
    facts, connections = gather(target(tls_servers, "pcurves"))
    assert facts["tls.dhe_min_bits"].status is NA
    assert facts["tls.dhe_min_bits"].reason == "no DHE suite accepted"
    assert facts["tls.rsa_key_exchange"].value is False
    assert facts["tls.compression"].value is False
    assert "DEFLATE offered before null compression" in how(facts["tls.compression"])
    assert facts["tls.secure_renegotiation"].value is True
    assert facts["tls.fallback_scsv"].status is NA
    assert connections == 6 + 3  # DHE and RSA refused: one more hello for compression


def test_tls13_only_server_has_no_legacy_options(tls_servers: RunningServers) -> None:
    facts, connections = gather(target(tls_servers, "tls13"))
    for name in KX - {"tls.protocols"}:
        assert facts[name].status is NA, facts[name]
    assert connections == 6


def test_fallback_scsv_honoured_by_openssl(kx_servers: RunningServers) -> None:
    facts, _ = gather(target(kx_servers, "tls10-modern"))
    scsv = facts["tls.fallback_scsv"]
    assert (scsv.status, scsv.value) == (COMPLETED, True), scsv
    assert "TLSv1.1 hello with TLS_FALLBACK_SCSV" in how(scsv)
    assert "inappropriate_fallback" in how(scsv)


# ---------------------------------------------------------------- a scripted legacy server

RSA_SUITE, DHE_SUITE = 0x002F, 0x0033  # TLS_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_RSA_..._CBC_SHA


def _parse_hello(conn: socket.socket) -> tuple[bytes, list[int], list[int]] | None:
    head = conn.recv(5, socket.MSG_WAITALL)
    if len(head) < 5 or head[0] != 22:
        return None
    body = conn.recv(int.from_bytes(head[3:5]), socket.MSG_WAITALL)
    version, pos = body[4:6], 4 + 2 + 32
    pos += 1 + body[pos]  # session id
    n = int.from_bytes(body[pos:pos + 2])
    suites = [int.from_bytes(body[pos + 2 + i:pos + 4 + i]) for i in range(0, n, 2)]
    pos += 2 + n
    methods = list(body[pos + 1:pos + 1 + body[pos]])
    return version, suites, methods


def legacy_server(conn: socket.socket) -> None:
    """TLS 1.0-1.2 without RFC 5746 or RFC 7507, DEFLATE when offered, 512-bit DHE."""
    hello = _parse_hello(conn)
    if hello is None:
        return
    version, suites, methods = hello
    if version not in (b"\x03\x01", b"\x03\x02", b"\x03\x03") or 0x1301 in suites:
        conn.sendall(tls_record(21, b"\x02\x46"))  # protocol_version
        return
    suite = RSA_SUITE if RSA_SUITE in suites else DHE_SUITE if DHE_SUITE in suites else None
    if suite is None:
        conn.sendall(tls_record(21, b"\x02\x28"))  # handshake_failure
        return
    compression = 1 if 1 in methods else 0
    server_hello = handshake(2, version + bytes(32) + b"\x00" + suite.to_bytes(2, "big")
                             + bytes([compression]))
    flight = server_hello
    if suite == DHE_SUITE:
        p = (1 << 511) | 1
        params = b"".join(len(x).to_bytes(2, "big") + x
                          for x in (p.to_bytes(64, "big"), b"\x02", b"\x05" * 64))
        flight += handshake(12, params + b"\x04\x01\x00\x00")
    conn.sendall(tls_record(22, flight + handshake(14, b""), version))
    conn.recv(1024)


def test_legacy_server_fails_every_option(fake_server: Callable[[Handler], FakeServer]) -> None:
    server = fake_server(legacy_server)
    facts, connections = gather(server.target())
    assert [o.value for o in facts["tls.protocols"].value] == [  # type: ignore[union-attr]
        "TLSv1.0", "TLSv1.1", "TLSv1.2"]
    assert facts["tls.rsa_key_exchange"].value is True
    assert "version hello (every suite offered) chose TLS_RSA_WITH" in (
        how(facts["tls.rsa_key_exchange"]))
    assert facts["tls.dhe_min_bits"].value == 512
    compression = facts["tls.compression"]
    assert compression.value is True
    assert "DEFLATE chosen" in how(compression)
    reneg = facts["tls.secure_renegotiation"]
    assert reneg.value is False
    assert "no renegotiation_info extension" in how(reneg)
    scsv = facts["tls.fallback_scsv"]
    assert scsv.value is False
    assert "TLSv1.1 hello with TLS_FALLBACK_SCSV" in how(scsv)
    assert connections == 6 + 1 + 1  # versions, DHE hello, fallback hello


def test_fallback_refused_for_another_reason_is_an_error(
        fake_server: Callable[[Handler], FakeServer]) -> None:
    def picky(conn: socket.socket) -> None:
        hello = _parse_hello(conn)
        if hello is not None and 0x5600 in hello[1]:
            conn.sendall(tls_record(21, b"\x02\x28"))
            return
        if hello is not None and hello[0] == b"\x03\x02":
            conn.sendall(tls_record(22, handshake(2, b"\x03\x02" + bytes(32) + b"\x00\x00\x2f\x00")
                                    + handshake(14, b""), b"\x03\x02"))
            conn.recv(1024)
            return
        if hello is not None and hello[0] == b"\x03\x03" and 0x1301 not in hello[1]:
            conn.sendall(tls_record(22, handshake(2, b"\x03\x03" + bytes(32) + b"\x00\x00\x2f\x00")
                                    + handshake(14, b"")))
            conn.recv(1024)
            return
        conn.sendall(tls_record(21, b"\x02\x46"))

    server = fake_server(picky)
    ctx = context()
    facts = run_probe(TlsProbe(), server.target(), frozenset({"tls.fallback_scsv"}), ctx)
    assert_error(facts[0], ReasonCategory.PROTOCOL_ERROR, "not with inappropriate_fallback")

