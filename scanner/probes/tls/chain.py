"""The server's certificate chain: from the tls probe's handshakes, one hello, or TLS 1.3."""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass

from nassl._nassl import OpenSSLError
from nassl.ssl_client import (
    ClientCertificateRequested,
    OpenSslVerifyEnum,
    OpenSslVersionEnum,
    SslClient,
)

from scanner.models import Phrase, ReasonCategory, say
from scanner.probes.base import ProbeFailure, os_error_category
from scanner.probes.tls.hello import HelloSpec
from scanner.probes.tls.session import TlsSession
from scanner.probes.tls.suites import CERT_SUITES, HELLO_GROUPS, LEGACY_VERSIONS


@dataclass(frozen=True)
class ChainResult:
    chain: tuple[bytes, ...]  # DER, leaf first; empty: the server presents no certificate
    how: Phrase  # where it came from


def fetch_chain(session: TlsSession) -> ChainResult:
    """Reuse the tls probe's chain, else one TLS <= 1.2 hello, else a TLS 1.3 handshake."""
    if session.clear_chain:
        return ChainResult(session.clear_chain, say("summary.cert.clear",
                                                    version=session.chain_version or "?"))
    known = session.protocols_result
    if known is not None and known.error:
        raise known.failure("no handshake to take a certificate from")
    if known is None:
        versions = ["TLSv1.2"]  # a TLS 1.0/1.1/SSL 3.0 server answers it with its own version
    else:
        versions = [v for v in LEGACY_VERSIONS if known.accepted(v)][:1]
    for version in versions:
        out = session.exchange(HelloSpec(version, CERT_SUITES, HELLO_GROUPS))
        if out.status == "error":
            raise ProbeFailure(f"{version} hello: {out.reason}",
                               out.category or ReasonCategory.PROTOCOL_ERROR)
        if out.accepted:
            if not out.chain:
                raise ProbeFailure(f"{out.version} ServerHello with {out.suite} but no "
                                   "Certificate message was received")
            return ChainResult(out.chain, say("summary.cert.handshake", version=out.version or "?",
                                              suite=out.suite or "?"))
        if known is not None and not known.accepted("TLSv1.3"):
            return ChainResult((), say("summary.cert.none", version=version, reason=out.reason))
    if known is None or known.accepted("TLSv1.3"):
        return tls13_chain(session)
    raise ProbeFailure("no protocol version with certificates was accepted",
                       ReasonCategory.PROTOCOL_ERROR, say("reason.cert.no_version"))


def tls13_chain(session: TlsSession) -> ChainResult:
    """A full TLS 1.3 handshake with nassl (the certificate is encrypted in TLS 1.3)."""
    wire = session.open()  # connection and STARTTLS preamble
    sock = wire.sock
    try:
        sock.settimeout(session.ctx.timeout)
        client = SslClient(
            ssl_version=OpenSslVersionEnum.TLSV1_3,
            underlying_socket=sock,
            ssl_verify=OpenSslVerifyEnum.NONE,
        )
        if session.target.sni:
            client.set_tlsext_host_name(session.target.sni)
        with contextlib.suppress(ClientCertificateRequested):
            client.do_handshake()  # a client-certificate request comes after the chain
        pems = client.get_received_chain()
    except OpenSSLError as exc:
        raise ProbeFailure(f"TLS 1.3 handshake failed: {exc}") from exc
    except TimeoutError as exc:
        raise ProbeFailure("TLS 1.3 handshake timed out", ReasonCategory.TIMEOUT,
                           say("reason.cert.tls13_timeout")) from exc
    except OSError as exc:
        raise ProbeFailure(f"TLS 1.3 handshake failed: {exc}", os_error_category(exc)) from exc
    finally:
        sock.close()
    if not pems:
        raise ProbeFailure("TLS 1.3 handshake completed without a server certificate",
                           ReasonCategory.PROTOCOL_ERROR, say("reason.cert.tls13_no_cert"))
    chain = tuple(ssl.PEM_cert_to_DER_cert(p) for p in pems)
    return ChainResult(chain, say("summary.cert.tls13"))
