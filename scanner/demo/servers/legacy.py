"""Broken and ancient servers: SSL 2.0 responder, silent, garbage and reset."""

from __future__ import annotations

import os
import random
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

from .spec import ServerSpec
from .wire import close_gracefully, reset

Engine = Callable[[socket.socket], None]

# SSL 2.0 cipher kinds we "support", in preference order.
SSL2_CIPHERS = (
    0x0700C0,  # SSL_CK_DES_192_EDE3_CBC_WITH_MD5
    0x010080,  # SSL_CK_RC4_128_WITH_MD5
    0x030080,  # SSL_CK_RC2_128_CBC_WITH_MD5
    0x060040,  # SSL_CK_DES_64_CBC_WITH_MD5
    0x020080,  # SSL_CK_RC4_128_EXPORT40_WITH_MD5
    0x040080,  # SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5
)
_CLIENT_HELLO, _SERVER_HELLO, _ERROR = 1, 4, 0
_NO_CIPHER_ERROR = 0x0001
_SSL_CT_X509_CERTIFICATE = 1
HOLD_SECONDS = 300.0


def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _ssl2_record(message: bytes) -> bytes:
    """2-byte SSLv2 record header (high bit set, no padding) + message."""
    return (0x8000 | len(message)).to_bytes(2, "big") + message


def read_ssl2_client_hello(sock: socket.socket) -> list[int] | None:
    """Read an SSLv2 CLIENT-HELLO; its cipher kinds, or ``None`` if it is not one."""
    header = _recv_exactly(sock, 2)
    if header is None or not header[0] & 0x80:
        return None
    body = _recv_exactly(sock, ((header[0] & 0x7F) << 8) | header[1])
    if body is None or len(body) < 9 or body[0] != _CLIENT_HELLO:
        return None
    specs_len = int.from_bytes(body[3:5], "big")
    specs = body[9 : 9 + specs_len]
    return [int.from_bytes(specs[i : i + 3], "big") for i in range(0, len(specs) - 2, 3)]


def ssl2_server_hello(cert_der: bytes, ciphers: list[int], connection_id: bytes) -> bytes:
    """An SSL 2.0 SERVER-HELLO record (no session-id hit, X.509 certificate)."""
    cipher_bytes = b"".join(c.to_bytes(3, "big") for c in ciphers)
    message = (
        bytes([_SERVER_HELLO, 0, _SSL_CT_X509_CERTIFICATE])
        + b"\x00\x02"  # server version 2.0
        + len(cert_der).to_bytes(2, "big")
        + len(cipher_bytes).to_bytes(2, "big")
        + len(connection_id).to_bytes(2, "big")
        + cert_der
        + cipher_bytes
        + connection_id
    )
    return _ssl2_record(message)


def sslv2_engine(spec: ServerSpec) -> Engine:
    assert spec.chain_pem
    pem = Path(spec.chain_pem).read_text()
    end = "-----END CERTIFICATE-----"
    cert_der = ssl.PEM_cert_to_DER_cert(pem[: pem.index(end) + len(end)])

    def run(sock: socket.socket) -> None:
        try:
            offered = read_ssl2_client_hello(sock)
            if offered is None:
                return
            common = [c for c in SSL2_CIPHERS if c in offered]
            if common:
                sock.sendall(ssl2_server_hello(cert_der, common, os.urandom(16)))
            else:
                sock.sendall(_ssl2_record(bytes([_ERROR]) + _NO_CIPHER_ERROR.to_bytes(2, "big")))
        finally:
            close_gracefully(sock)

    return run


def silent_engine(_spec: ServerSpec) -> Engine:
    def run(sock: socket.socket) -> None:
        sock.settimeout(5.0)
        deadline = time.monotonic() + HOLD_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    if not sock.recv(4096):
                        return
                except TimeoutError:
                    continue
        finally:
            sock.close()

    return run


def garbage_bytes(n: int = 300) -> bytes:
    """Non-TLS noise: starts with NUL (no TLS record type, no SSLv2 high bit)."""
    prefix = b"\x00REMPART-GARBAGE\x00"
    return prefix + random.Random(n).randbytes(n - len(prefix))


def garbage_engine(_spec: ServerSpec) -> Engine:
    def run(sock: socket.socket) -> None:
        try:
            if sock.recv(4096):
                sock.sendall(garbage_bytes())
        finally:
            close_gracefully(sock)

    return run


def reset_engine(_spec: ServerSpec) -> Engine:
    return reset
