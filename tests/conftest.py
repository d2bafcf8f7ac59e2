"""Shared fixtures: one local PKI and one set of real loopback servers for the probe tests."""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner.demo.pki import CertAuthority, LeafFiles, issue_leaf, make_ca
from scanner.demo.servers import RunningServers, ServerSpec, start_servers
from scanner.models import ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeTarget
from tests.listener import Handler, Listener

with warnings.catch_warnings():  # tlslite/__init__ imports asyncore (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    from tlslite.messages import ClientHello
    from tlslite.utils.codec import Parser

HOST = "127.0.0.1"
# every `rempart scan` of the tests stores its history here, never in the user's home
os.environ.setdefault("REMPART_DB", str(Path(tempfile.mkdtemp(prefix="rempart-db-")) /
                                        "history.sqlite"))
pytest_plugins = ["tests.strict_skips", "tests.internal_errors"]  # CI: skips fail; crashes fail
NAME = "good.test"
HOSTILE_CN = "<script>alert(1)</script>"


@dataclass(frozen=True)
class TlsPki:
    ca: CertAuthority
    good: LeafFiles
    ec: LeafFiles
    ec384: LeafFiles
    weak: LeafFiles  # RSA-1024, SHA-1 signature
    self_signed: LeafFiles
    expired: LeafFiles
    future: LeafFiles
    hostile: LeafFiles


@pytest.fixture(scope="session")
def tls_pki(tmp_path_factory: pytest.TempPathFactory) -> TlsPki:
    d = tmp_path_factory.mktemp("probe-pki")
    ca = make_ca(d)
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    return TlsPki(
        ca=ca,
        good=issue_leaf(ca, d, "good", dns_names=[NAME], ip_addresses=[HOST]),
        ec=issue_leaf(ca, d, "ec", dns_names=[NAME], key="ec256"),
        ec384=issue_leaf(ca, d, "ec384", dns_names=[NAME], key="ec384"),
        weak=issue_leaf(ca, d, "weak", dns_names=[NAME], key="rsa1024", hash="sha1"),
        self_signed=issue_leaf(ca, d, "self", dns_names=[NAME], self_signed=True),
        expired=issue_leaf(ca, d, "expired", dns_names=[NAME],  # ended inside the CA's life
                           not_before=now - 400 * day, not_after=now - dt.timedelta(hours=1)),
        future=issue_leaf(ca, d, "future", dns_names=[NAME],
                          not_before=now + 10 * day, not_after=now + 100 * day),
        hostile=issue_leaf(ca, d, "hostile", dns_names=[NAME], common_name=HOSTILE_CN),
    )


def _files(leaf: LeafFiles) -> dict[str, Any]:
    return {"chain_pem": str(leaf.chain_pem), "key_pem": str(leaf.key_pem)}


def probe_specs(p: TlsPki) -> list[ServerSpec]:
    good = _files(p.good)
    return [
        ServerSpec("pcurves", **good, groups="P-256:P-384:P-521"),
        ServerSpec("p256", **good, groups="P-256"),
        ServerSpec("x25519", **good, groups="X25519", max_version="TLSv1.2"),
        ServerSpec("tls10", **good, min_version="TLSv1.0", max_version="TLSv1.0"),
        ServerSpec("tls13", **good, min_version="TLSv1.3"),
        ServerSpec("legacy", engine="tlslite", **good, min_version="SSLv3",
                   max_version="TLSv1.2", tlslite_ciphers=("rc4", "3des", "aes128")),
        ServerSpec("sslv2", engine="sslv2", **good),
        ServerSpec("rejectip", **good, reject_ip_sni=True),
        ServerSpec("smtp", **good, mode="smtp"),
        ServerSpec("smtp-noadv", **good, mode="smtp", starttls_advertised=False),
        ServerSpec("imap", **good, mode="imap", groups="P-256:P-384:P-521"),
        ServerSpec("imap-noadv", **good, mode="imap", starttls_advertised=False),
        ServerSpec("pop3", **good, mode="pop3", max_version="TLSv1.2"),
        ServerSpec("pop3-noadv", **good, mode="pop3", starttls_advertised=False),
        ServerSpec("silent", engine="silent"),
        ServerSpec("garbage", engine="garbage"),
        ServerSpec("reset", engine="reset"),
        ServerSpec("ec", **_files(p.ec)),
        ServerSpec("ec384", **_files(p.ec384), groups="P-256:P-384:P-521"),
        ServerSpec("ec-tls12", **_files(p.ec), groups="P-256:P-384:P-521",
                   max_version="TLSv1.2"),
        ServerSpec("ec-tls12-cpref", **_files(p.ec), groups="P-256:P-384:P-521",
                   max_version="TLSv1.2", client_preference=True),
        ServerSpec("ec384-spref", **_files(p.ec384), groups="P-384:P-256:P-521",
                   max_version="TLSv1.2"),
        ServerSpec("ec384-cpref", **_files(p.ec384), groups="P-384:P-256:P-521",
                   max_version="TLSv1.2", client_preference=True),
        ServerSpec("weak", **_files(p.weak), max_version="TLSv1.2"),
        ServerSpec("selfsigned", **_files(p.self_signed)),
        ServerSpec("expired", **_files(p.expired)),
        ServerSpec("future", **_files(p.future)),
        ServerSpec("hostile", **_files(p.hostile)),
    ]


@pytest.fixture(scope="session")
def tls_servers(
    tls_pki: TlsPki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServers]:
    with start_servers(probe_specs(tls_pki), tmp_path_factory.mktemp("probe-servers")) as srv:
        yield srv


def target(
    servers: RunningServers,
    name: str,
    protocol: ServiceProtocol = ServiceProtocol.HTTPS,
    *,
    sni: str | None = NAME,
    expected: str = NAME,
) -> ProbeTarget:
    return ProbeTarget(HOST, servers.port(name), protocol, sni, expected)


def context(timeout: float = 3.0, ca_file: Any = None) -> ProbeContext:
    return ProbeContext(timeout=timeout, deadline=time.monotonic() + 60.0, ca_file=ca_file)


# ---------------------------------------------------------------- scripted fake servers

class FakeServer(Listener):
    """A loopback listener running `handler` on each connection in a thread (hostile peers)."""

    def __init__(self, handler: Handler) -> None:
        super().__init__(HOST, 0, handler)

    def target(self, protocol: ServiceProtocol = ServiceProtocol.TLS) -> ProbeTarget:
        return ProbeTarget(HOST, self.port, protocol, None, HOST)

@pytest.fixture
def fake_server() -> Iterator[Callable[[Handler], FakeServer]]:
    started: list[FakeServer] = []

    def start(handler: Handler) -> FakeServer:
        started.append(FakeServer(handler))
        return started[-1]

    yield start
    for server in started:
        server.close()


def tls_record(ctype: int, payload: bytes, version: bytes = b"\x03\x03") -> bytes:
    return bytes([ctype]) + version + len(payload).to_bytes(2, "big") + payload


def handshake(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def server_hello(suite: int, version: bytes = b"\x03\x03") -> bytes:
    return handshake(2, version + bytes(32) + b"\x00" + suite.to_bytes(2, "big") + b"\x00")


def read_client_hello(conn: socket.socket) -> tuple[tuple[int, int], list[int]] | None:
    """(client_version, suites) of a TLS ClientHello; None for anything else (e.g. SSL 2.0)."""
    head = conn.recv(5, socket.MSG_WAITALL)
    if len(head) < 5 or head[0] != 22:
        return None
    body = conn.recv(int.from_bytes(head[3:5], "big"), socket.MSG_WAITALL)
    hello = ClientHello().parse(Parser(bytearray(body[1:])))
    return tuple(hello.client_version), list(hello.cipher_suites)
