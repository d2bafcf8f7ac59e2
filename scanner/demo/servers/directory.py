"""Plaintext starts of LDAP (StartTLS), XMPP (STARTTLS) and PostgreSQL (SSLRequest) servers.

Just enough of each protocol to answer the request that upgrades the connection to TLS (then
the TLS engine takes over), or to refuse it when ``starttls_advertised`` is false.
"""

from __future__ import annotations

from .spec import ServerSpec
from .wire import Stream

LDAP_START_TLS_OID = b"1.3.6.1.4.1.1466.20037"
SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"


def _recv_until(stream: Stream, marker: bytes, limit: int = 16384) -> bytes:
    data = b""
    while marker not in data and len(data) < limit:
        chunk = stream.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def _ldap_result(code: int, message: bytes = b"") -> bytes:
    """An ExtendedResponse to message 1 (short BER lengths: the message stays under 128 bytes)."""
    body = b"\x0a\x01" + bytes([code]) + b"\x04\x00" + b"\x04" + bytes([len(message)]) + message
    if code == 0:
        body += b"\x8a" + bytes([len(LDAP_START_TLS_OID)]) + LDAP_START_TLS_OID
    op = b"\x78" + bytes([len(body)]) + body
    inner = b"\x02\x01\x01" + op
    return b"\x30" + bytes([len(inner)]) + inner


def ldap(stream: Stream, spec: ServerSpec) -> bool:
    request = stream.recv(4096)
    if LDAP_START_TLS_OID not in request:
        stream.sendall(_ldap_result(2, b"only StartTLS here"))  # protocolError
        return False
    if not spec.starttls_advertised:
        stream.sendall(_ldap_result(52, b"StartTLS not configured"))  # unavailable
        return False
    stream.sendall(_ldap_result(0))
    return True


def xmpp(stream: Stream, spec: ServerSpec) -> bool:
    if b"<stream:stream" not in _recv_until(stream, b">"):
        return False
    feature = f"<starttls xmlns='{TLS_NS}'><required/></starttls>"
    stream.sendall((
        f"<?xml version='1.0'?><stream:stream from='{spec.name}' id='rempart-demo' "
        "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        f"<stream:features>{feature if spec.starttls_advertised else ''}"
        "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
        "</mechanisms></stream:features>").encode())
    if b"<starttls" not in _recv_until(stream, b"/>"):
        return False
    if not spec.starttls_advertised:
        stream.sendall(f"<failure xmlns='{TLS_NS}'/></stream:stream>".encode())
        return False
    stream.sendall(f"<proceed xmlns='{TLS_NS}'/>".encode())
    return True


def postgresql(stream: Stream, spec: ServerSpec) -> bool:
    if _recv_until(stream, SSL_REQUEST, limit=8) != SSL_REQUEST:
        return False
    stream.sendall(b"S" if spec.starttls_advertised else b"N")
    return spec.starttls_advertised
