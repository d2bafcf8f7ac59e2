"""The local test servers behave as their specs say, checked with real clients."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from scanner.demo.servers import RunningServers, ServerSpec, ServerStartError, start_servers
from scanner.demo.servers.legacy import SSL2_CIPHERS
from tests.conftest import HOST, HOSTILE_CN, NAME, TlsPki

with warnings.catch_warnings():  # tlslite/__init__ imports asyncore (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    from tlslite.constants import AlertDescription
    from tlslite.errors import TLSLocalAlert, TLSRemoteAlert
    from tlslite.handshakesettings import HandshakeSettings
    from tlslite.messages import ServerHello2
    from tlslite.tlsconnection import TLSConnection
    from tlslite.utils.codec import Parser

V = ssl.TLSVersion
P_CURVES = "P-256:P-384:P-521"


@pytest.fixture(scope="module")
def pki(tls_pki: TlsPki) -> TlsPki:
    """The session's test PKI (tests/conftest.py)."""
    return tls_pki


def _specs(p: TlsPki) -> list[ServerSpec]:
    good: dict[str, Any] = {"chain_pem": str(p.good.chain_pem), "key_pem": str(p.good.key_pem)}
    return [
        ServerSpec("modern", **good, groups=P_CURVES),
        ServerSpec("x25519", **good, groups="X25519"),
        ServerSpec("tls10", **good, min_version="TLSv1.0"),
        ServerSpec("tls11only", **good, min_version="TLSv1.1", max_version="TLSv1.1"),
        ServerSpec(
            "tls13chacha",
            **good,
            min_version="TLSv1.3",
            ciphersuites="TLS_CHACHA20_POLY1305_SHA256",
        ),
        ServerSpec(
            "tls12gcm", **good, max_version="TLSv1.2", ciphers="ECDHE-RSA-AES128-GCM-SHA256"
        ),
        ServerSpec("rejectip", **good, reject_ip_sni=True),
        ServerSpec(
            "weakcert",
            chain_pem=str(p.weak.chain_pem),
            key_pem=str(p.weak.key_pem),
            max_version="TLSv1.2",
        ),
        ServerSpec("ecdsa", chain_pem=str(p.ec384.chain_pem), key_pem=str(p.ec384.key_pem)),
        ServerSpec("ssl3", engine="tlslite", **good, min_version="SSLv3", max_version="SSLv3"),
        ServerSpec(
            "rc4", engine="tlslite", **good, tlslite_ciphers=("rc4",), min_version="TLSv1.0"
        ),
        ServerSpec("des3", engine="tlslite", **good, tlslite_ciphers=("3des",)),
        ServerSpec("tlslite13", engine="tlslite", **good, reject_ip_sni=True),
        ServerSpec("tlslite-p384", engine="tlslite", **good, groups="P-384"),
        ServerSpec("sslv2", engine="sslv2", **good),
        ServerSpec("silent", engine="silent"),
        ServerSpec("garbage", engine="garbage"),
        ServerSpec("reset", engine="reset"),
        ServerSpec("smtp", **good, mode="smtp"),
        ServerSpec("smtp-noadv", **good, mode="smtp", starttls_advertised=False),
        ServerSpec("imap", engine="tlslite", **good, mode="imap"),
        ServerSpec("imap-noadv", **good, mode="imap", starttls_advertised=False),
        ServerSpec("pop3", **good, mode="pop3"),
        ServerSpec("multi", **good, listeners=3),
    ]


@pytest.fixture(scope="module")
def servers(pki: TlsPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServers]:
    with start_servers(_specs(pki), tmp_path_factory.mktemp("servers")) as running:
        yield running


# ---------------------------------------------------------------- clients


def _client_ctx(
    pki: TlsPki, lo: ssl.TLSVersion, hi: ssl.TLSVersion, ciphers: str | None = None
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(pki.ca.cert_pem))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version, ctx.maximum_version = lo, hi
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def _tls(ctx: ssl.SSLContext, port: int, http: bool = True) -> tuple[str, str, bytes]:
    """Handshake, one HTTP request; (version, cipher, first response bytes)."""
    with (
        socket.create_connection((HOST, port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname=NAME) as tls,
    ):
        answer = b""
        if http:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: good.test\r\n\r\n")
            answer = tls.recv(64)
        cipher = tls.cipher()
        assert cipher is not None
        return str(tls.version()), cipher[0], answer


def _s_client(port: int, *args: str) -> tuple[int, str]:
    return _s_client_host(f"{HOST}:{port}", *args)


def _s_client_host(address: str, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        ["openssl", "s_client", "-connect", address, *args],
        input=b"",
        capture_output=True,
        timeout=15,
    )
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")


def _tlslite(
    port: int, lo: tuple[int, int], hi: tuple[int, int], ciphers: list[str] | None = None
) -> tuple[tuple[int, int], str, bytes]:
    settings = HandshakeSettings()
    settings.minVersion, settings.maxVersion = lo, hi
    if ciphers:
        settings.cipherNames = ciphers
        settings.macNames = [*settings.macNames, "md5"]
    with socket.create_connection((HOST, port), timeout=5) as raw:
        conn = TLSConnection(raw)
        conn.handshakeClientCert(settings=settings)
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        answer = b""
        while len(answer) < 15:  # the server splits CBC records 1/n-1
            chunk = conn.recv(64)
            if not chunk:
                break
            answer += bytes(chunk)
        return conn.version, conn.getCipherName(), answer


# ---------------------------------------------------------------- openssl engine


def test_modern_server_versions(servers: RunningServers, pki: TlsPki) -> None:
    port = servers.port("modern")
    assert _tls(_client_ctx(pki, V.TLSv1_3, V.TLSv1_3), port)[0] == "TLSv1.3"
    version, cipher, answer = _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_2), port)
    assert (version, cipher) == ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    for old in (V.TLSv1, V.TLSv1_1):
        with pytest.raises(ssl.SSLError):
            _tls(_client_ctx(pki, old, old, "DEFAULT:@SECLEVEL=0"), port)


def test_tls10_server_accepts_tls10_with_cbc_sha(servers: RunningServers, pki: TlsPki) -> None:
    ctx = _client_ctx(pki, V.TLSv1, V.TLSv1, "DEFAULT:@SECLEVEL=0")
    version, cipher, _ = _tls(ctx, servers.port("tls10"))
    assert (version, cipher) == ("TLSv1", "ECDHE-RSA-AES256-SHA")
    assert _tls(_client_ctx(pki, V.TLSv1_3, V.TLSv1_3), servers.port("tls10"))[0] == "TLSv1.3"


def test_tls11_only_server(servers: RunningServers, pki: TlsPki) -> None:
    port = servers.port("tls11only")
    ctx = _client_ctx(pki, V.TLSv1_1, V.TLSv1_1, "DEFAULT:@SECLEVEL=0")
    assert _tls(ctx, port)[0] == "TLSv1.1"
    for v in (V.TLSv1, V.TLSv1_2, V.TLSv1_3):
        with pytest.raises(ssl.SSLError):
            _tls(_client_ctx(pki, v, v, "DEFAULT:@SECLEVEL=0"), port)


def test_tls13_ciphersuites_from_config(servers: RunningServers, pki: TlsPki) -> None:
    port = servers.port("tls13chacha")
    assert _tls(_client_ctx(pki, V.TLSv1_3, V.TLSv1_3), port)[1] == "TLS_CHACHA20_POLY1305_SHA256"
    with pytest.raises(ssl.SSLError):
        _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_2), port)
    code, out = _s_client(port, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256")
    assert code != 0 and "alert" in out


def test_tls12_cipher_restriction(servers: RunningServers, pki: TlsPki) -> None:
    port = servers.port("tls12gcm")
    assert _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_3), port)[:2] == (
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
    )
    with pytest.raises(ssl.SSLError):
        _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_2, "ECDHE-RSA-AES256-GCM-SHA384"), port)


def test_groups_p_curves(servers: RunningServers) -> None:
    port = servers.port("modern")
    code, out = _s_client(port, "-groups", "P-384")
    assert code == 0 and "Server Temp Key: ECDH, secp384r1" in out
    code, out = _s_client(port, "-groups", "P-521", "-tls1_2")
    assert code == 0 and "secp521r1" in out
    for extra in ((), ("-tls1_2",)):
        code, out = _s_client(port, "-groups", "X25519", *extra)
        assert code != 0 and "handshake failure" in out


def test_groups_x25519_only(servers: RunningServers) -> None:
    port = servers.port("x25519")
    code, out = _s_client(port, "-groups", "X25519")
    assert code == 0 and "Server Temp Key: X25519" in out
    code, out = _s_client(port, "-groups", "P-256")
    assert code != 0 and "handshake failure" in out


@pytest.mark.parametrize("server", ["rejectip", "tlslite13"])
def test_reject_ip_sni(servers: RunningServers, server: str) -> None:
    port = servers.port(server)
    code, out = _s_client(port, "-servername", HOST)
    assert code != 0 and "unrecognized name" in out
    assert _s_client(port, "-servername", NAME)[0] == 0
    assert _s_client(port, "-noservername")[0] == 0


def test_weak_certificate_is_served(servers: RunningServers, pki: TlsPki) -> None:
    ctx = _client_ctx(pki, V.TLSv1_2, V.TLSv1_2, "DEFAULT:@SECLEVEL=0")
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection((HOST, servers.port("weakcert")), timeout=5) as raw,
        ctx.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der == pki.weak.cert.public_bytes(serialization.Encoding.DER)


def test_ecdsa_server(servers: RunningServers, pki: TlsPki) -> None:
    _, cipher, _ = _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_2), servers.port("ecdsa"))
    assert cipher.startswith("ECDHE-ECDSA-")


def test_survives_hostile_clients(servers: RunningServers, pki: TlsPki) -> None:
    port = servers.port("modern")
    half_hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
    for junk in (half_hello, b"\x80\x2e\x01\x00\x02", b"x" * 9):
        with socket.create_connection((HOST, port), timeout=5) as raw:
            raw.sendall(junk)
    with socket.create_connection((HOST, port), timeout=5):
        pass  # connect and vanish
    assert _tls(_client_ctx(pki, V.TLSv1_3, V.TLSv1_3), port)[0] == "TLSv1.3"


# ---------------------------------------------------------------- tlslite engine


def test_sslv3_server(servers: RunningServers) -> None:
    version, _, answer = _tlslite(servers.port("ssl3"), (3, 0), (3, 0))
    assert version == (3, 0) and answer.startswith(b"HTTP/1.1 200")
    with pytest.raises(TLSLocalAlert, match=r"Too old version: \(3, 0\)") as refused:
        _tlslite(servers.port("ssl3"), (3, 1), (3, 3))  # it answers SSLv3 all the same
    assert refused.value.description == AlertDescription.protocol_version


def test_rc4_server(servers: RunningServers) -> None:
    port = servers.port("rc4")
    assert _tlslite(port, (3, 1), (3, 4), ["rc4"])[:2] == ((3, 3), "rc4")
    assert _tlslite(port, (3, 1), (3, 1), ["rc4"])[:2] == ((3, 1), "rc4")
    with pytest.raises(TLSRemoteAlert) as refused:  # no suite in common
        _tlslite(port, (3, 1), (3, 4), ["aes128"])
    assert refused.value.description == AlertDescription.insufficient_security


def test_3des_server(servers: RunningServers) -> None:
    port = servers.port("des3")
    assert _tlslite(port, (3, 1), (3, 4), ["3des"])[:2] == ((3, 3), "3des")
    with pytest.raises(TLSRemoteAlert) as refused:  # no suite in common
        _tlslite(port, (3, 1), (3, 4), ["aes128"])
    assert refused.value.description == AlertDescription.insufficient_security


def test_tlslite_tls13_with_python_client(servers: RunningServers, pki: TlsPki) -> None:
    version, _, answer = _tls(_client_ctx(pki, V.TLSv1_2, V.TLSv1_3), servers.port("tlslite13"))
    assert version == "TLSv1.3" and answer.startswith(b"HTTP/1.1 200")


def test_tlslite_groups(servers: RunningServers) -> None:
    port = servers.port("tlslite-p384")
    code, out = _s_client(port, "-groups", "P-384", "-tls1_3")
    assert code == 0 and "Server Temp Key: ECDH, secp384r1" in out
    code, out = _s_client(port, "-groups", "X25519", "-tls1_3")
    assert code != 0 and "handshake failure" in out


# ---------------------------------------------------------------- SSL 2.0 and broken servers


def _ssl2_client_hello(ciphers: list[int]) -> bytes:
    specs = b"".join(c.to_bytes(3, "big") for c in ciphers)
    challenge = os.urandom(16)
    body = b"\x01\x00\x02" + len(specs).to_bytes(2, "big") + b"\x00\x00\x00\x10"
    body += specs + challenge
    return (0x8000 | len(body)).to_bytes(2, "big") + body


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_sslv2_server_hello(servers: RunningServers, pki: TlsPki) -> None:
    offered = [0x010080, 0x0700C0, 0x020080, 0x123456]
    with socket.create_connection((HOST, servers.port("sslv2")), timeout=5) as raw:
        raw.sendall(_ssl2_client_hello(offered))
        data = _read_all(raw)
    assert data[0] & 0x80
    length = ((data[0] & 0x7F) << 8) | data[1]
    assert len(data) == 2 + length and data[2] == 4  # SERVER-HELLO
    hello = ServerHello2().parse(Parser(bytearray(data[3:])))
    assert hello.server_version == (0, 2) and hello.certificate_type == 1
    assert bytes(hello.certificate) == pki.good.cert.public_bytes(serialization.Encoding.DER)
    assert sorted(hello.ciphers) == sorted(c for c in offered if c in SSL2_CIPHERS)
    assert len(hello.session_id) == 16


def test_sslv2_server_ignores_tls(servers: RunningServers) -> None:
    with socket.create_connection((HOST, servers.port("sslv2")), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
        assert _read_all(raw) == b""


def test_silent_server(servers: RunningServers) -> None:
    with socket.create_connection((HOST, servers.port("silent")), timeout=0.5) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
        with pytest.raises(TimeoutError):
            raw.recv(10)


def test_garbage_server(servers: RunningServers) -> None:
    with socket.create_connection((HOST, servers.port("garbage")), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
        data = _read_all(raw)
    assert len(data) == 300 and data[0] not in range(0x14, 0x19) and not data[0] & 0x80


def test_reset_server(servers: RunningServers) -> None:
    # The RST can even beat connect() to its end on loopback: both count.
    with (
        pytest.raises(ConnectionResetError),
        socket.create_connection((HOST, servers.port("reset")), timeout=5) as raw,
    ):
        time.sleep(0.2)
        raw.recv(10)


# ---------------------------------------------------------------- STARTTLS


class _Lines:
    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def line(self) -> str:
        return self.file.readline().decode().rstrip("\r\n")

    def until(self, stop: str) -> list[str]:
        lines = [self.line()]
        while not lines[-1].startswith(stop):
            lines.append(self.line())
        return lines


def test_smtp_starttls(servers: RunningServers, pki: TlsPki) -> None:
    with socket.create_connection((HOST, servers.port("smtp")), timeout=5) as raw:
        r = _Lines(raw)
        assert r.line() == "220 smtp ESMTP Rempart demo"
        raw.sendall(b"EHLO client.test\r\n")
        ehlo = r.until("250 ")
        assert ehlo[0] == "250-smtp" and "250-STARTTLS" in ehlo
        raw.sendall(b"STARTTLS\r\n")
        assert r.line().startswith("220 ")
        ctx = _client_ctx(pki, V.TLSv1_2, V.TLSv1_3)
        with ctx.wrap_socket(raw, server_hostname=NAME) as tls:
            assert tls.version() == "TLSv1.3"
            tls.sendall(b"EHLO client.test\r\n")
            secure = _Lines(tls).until("250 ")
            assert not any("STARTTLS" in line for line in secure)
            tls.sendall(b"QUIT\r\n")
            assert tls.recv(100).startswith(b"221")


def test_smtp_without_starttls(servers: RunningServers) -> None:
    with socket.create_connection((HOST, servers.port("smtp-noadv")), timeout=5) as raw:
        r = _Lines(raw)
        r.line()
        raw.sendall(b"EHLO client.test\r\n")
        assert not any("STARTTLS" in line for line in r.until("250 "))
        raw.sendall(b"STARTTLS\r\n")
        assert r.line().startswith("502")
        raw.sendall(b"QUIT\r\n")
        assert r.line().startswith("221")


def test_imap_starttls_tlslite(servers: RunningServers, pki: TlsPki) -> None:
    with socket.create_connection((HOST, servers.port("imap")), timeout=5) as raw:
        r = _Lines(raw)
        assert r.line() == "* OK [CAPABILITY IMAP4rev1 STARTTLS] imap ready"
        raw.sendall(b"a1 CAPABILITY\r\n")
        assert r.until("a1 ") == ["* CAPABILITY IMAP4rev1 STARTTLS", "a1 OK CAPABILITY completed"]
        raw.sendall(b"a2 STARTTLS\r\n")
        assert r.line().startswith("a2 OK")
        with _client_ctx(pki, V.TLSv1_2, V.TLSv1_3).wrap_socket(raw, server_hostname=NAME) as tls:
            tls.sendall(b"a3 CAPABILITY\r\n")
            assert _Lines(tls).until("a3 ")[0] == "* CAPABILITY IMAP4rev1"


def test_imap_without_starttls(servers: RunningServers) -> None:
    with socket.create_connection((HOST, servers.port("imap-noadv")), timeout=5) as raw:
        r = _Lines(raw)
        assert "STARTTLS" not in r.line()
        raw.sendall(b"a1 STARTTLS\r\n")
        assert r.line().startswith("a1 BAD")


def test_pop3_starttls(servers: RunningServers, pki: TlsPki) -> None:
    with socket.create_connection((HOST, servers.port("pop3")), timeout=5) as raw:
        r = _Lines(raw)
        assert r.line().startswith("+OK")
        raw.sendall(b"CAPA\r\n")
        assert "STLS" in r.until(".")
        raw.sendall(b"STLS\r\n")
        assert r.line().startswith("+OK")
        with _client_ctx(pki, V.TLSv1_2, V.TLSv1_3).wrap_socket(raw, server_hostname=NAME) as tls:
            tls.sendall(b"QUIT\r\n")
            assert tls.recv(100).startswith(b"+OK")


def test_openssl_s_client_starttls(servers: RunningServers) -> None:
    for proto, server in (("smtp", "smtp"), ("imap", "imap"), ("pop3", "pop3")):
        code, out = _s_client(servers.port(server), "-starttls", proto)
        assert code == 0 and "TLSv1.3" in out, (proto, out)
    code, out = _s_client(servers.port("smtp-noadv"), "-starttls", "smtp")
    assert code != 0  # s_client goes on without STARTTLS and fails on the plaintext


# ---------------------------------------------------------------- launcher


def test_connection_counting_and_listeners(servers: RunningServers) -> None:
    ports = servers.ports("multi")
    assert len(set(ports)) == 3 and servers.port("multi") == ports[0]
    before = servers.connections("multi")
    for port in ports:
        for _ in range(2):
            socket.create_connection((HOST, port), timeout=5).close()
    deadline = time.monotonic() + 5
    while servers.connections("multi") < before + 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert servers.connections("multi") == before + 6


def test_spec_json_roundtrip() -> None:
    spec = ServerSpec("x", engine="tlslite", chain_pem="a", key_pem="b", tlslite_ciphers=("rc4",))
    assert ServerSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError):
        ServerSpec("bad/name", engine="silent")
    with pytest.raises(ValueError):
        ServerSpec("x", min_version="TLSv1.3", max_version="TLSv1.2", chain_pem="a", key_pem="b")


def test_start_failure_reports_stderr_and_stop_reaps(tmp_path: Path, pki: TlsPki) -> None:
    broken = ServerSpec("broken", chain_pem=str(pki.good.chain_pem), key_pem="/nonexistent.pem")
    with pytest.raises(ServerStartError, match=r"(?s)'broken' exited.*exit code 1.*No such file"):
        start_servers([ServerSpec("fine", engine="silent"), broken], tmp_path)
    with pytest.raises(ValueError, match="duplicate"):
        start_servers([ServerSpec("a", engine="silent")] * 2, tmp_path)

    running = start_servers([ServerSpec("one", engine="silent")], tmp_path)
    pid, port = running.pid("one"), running.port("one")
    running.stop()
    assert not Path(f"/proc/{pid}").exists()  # exited and reaped: no zombie
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((HOST, port), timeout=2)


def test_ipv6_loopback_and_openssl_refuses_what_it_lacks(tmp_path: Path, pki: TlsPki) -> None:
    good: dict[str, Any] = {"chain_pem": str(pki.good.chain_pem), "key_pem": str(pki.good.key_pem)}
    ssl3 = ServerSpec("ssl3-openssl", **good, min_version="SSLv3", max_version="SSLv3")
    with pytest.raises(ServerStartError, match="use engine='tlslite'"):
        start_servers([ssl3], tmp_path)
    des3 = ServerSpec("des3-openssl", **good, ciphers="ECDHE+AESGCM:DES-CBC3-SHA")
    with pytest.raises(ServerStartError, match=r"3DES asked .* use engine='tlslite'"):
        start_servers([des3], tmp_path)
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with start_servers([ServerSpec("v6", **good, host="::1")], tmp_path) as running:
        code, out = _s_client_host(f"[::1]:{running.port('v6')}")
        assert code == 0 and "TLSv1.3" in out


# ---------------------------------------------------------------- PKI


def _verifier(pki: TlsPki, when: dt.datetime | None = None) -> PolicyBuilder:
    builder = PolicyBuilder().store(Store([pki.ca.cert]))
    return builder.time(when) if when else builder


def test_ca_extensions(pki: TlsPki) -> None:
    ca = pki.ca.cert
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    assert ca.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    assert ca.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)


def test_good_leaf_verifies(pki: TlsPki) -> None:
    leaf = pki.good.cert
    chain = _verifier(pki).build_server_verifier(x509.DNSName(NAME)).verify(leaf, [])
    assert chain[-1] == pki.ca.cert
    ip = x509.IPAddress(ipaddress.ip_address(HOST))
    _verifier(pki).build_server_verifier(ip).verify(leaf, [])
    with pytest.raises(VerificationError):
        _verifier(pki).build_server_verifier(x509.DNSName("other.test")).verify(leaf, [])
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    pem = pki.good.chain_pem.read_bytes()
    assert x509.load_pem_x509_certificates(pem) == [leaf, pki.ca.cert]


def test_self_signed_does_not_chain(pki: TlsPki) -> None:
    cert = pki.self_signed.cert
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)
    assert x509.load_pem_x509_certificates(pki.self_signed.chain_pem.read_bytes()) == [cert]
    with pytest.raises(VerificationError):
        _verifier(pki).build_server_verifier(x509.DNSName(NAME)).verify(cert, [])


def test_expired_detected(pki: TlsPki) -> None:
    cert = pki.expired.cert
    with pytest.raises(VerificationError, match="not valid at validation time"):
        _verifier(pki).build_server_verifier(x509.DNSName(NAME)).verify(cert, [])
    inside = cert.not_valid_after_utc - dt.timedelta(hours=1)  # the CA is valid then too
    _verifier(pki, inside).build_server_verifier(x509.DNSName(NAME)).verify(cert, [])


def test_weak_leaf_sha1_rsa1024(pki: TlsPki) -> None:
    cert = pki.weak.cert
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha1"
    leaf_key = cert.public_key()
    assert isinstance(leaf_key, rsa.RSAPublicKey) and leaf_key.key_size == 1024
    ca_key = pki.ca.cert.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    # a real SHA-1 signature by the CA (verify_directly_issued_by refuses SHA-1)
    ca_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    with pytest.raises(VerificationError):
        _verifier(pki).build_server_verifier(x509.DNSName(NAME)).verify(cert, [])


def test_hostile_common_name(pki: TlsPki) -> None:
    cn = pki.hostile.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == HOSTILE_CN
