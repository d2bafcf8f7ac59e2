"""TLS engines: OpenSSL through Python's ``ssl``, and tlslite-ng for SSL 3.0/RC4/3DES."""

from __future__ import annotations

import re
import socket
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scanner.netaddr import is_ip

from .plaintext import after_tls
from .spec import ServerSpec
from .wire import close_gracefully, fatal_alert, peek_sni

Engine = Callable[[socket.socket], None]  # takes over a socket at the start of TLS

_SSL_VERSIONS = {
    "SSLv3": ssl.TLSVersion.SSLv3,
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_TLSLITE_VERSIONS = {
    "SSLv3": (3, 0),
    "TLSv1.0": (3, 1),
    "TLSv1.1": (3, 2),
    "TLSv1.2": (3, 3),
    "TLSv1.3": (3, 4),
}
# Cipher-string words that need OpenSSL security level 0 (OpenSSL 3: also TLS < 1.2).
_WEAK_WORDS = re.compile(r"3DES|DES|RC4|RC2|NULL|EXP|MD5|IDEA|SEED|aNULL|ADH|AECDH", re.I)
_TLSLITE_GROUPS = {  # OpenSSL group name (lower case) -> tlslite-ng name
    "p-256": "secp256r1",
    "prime256v1": "secp256r1",
    "p-384": "secp384r1",
    "p-521": "secp521r1",
    "x25519": "x25519",
    "x448": "x448",
}
_WEAK_FAMILIES = (("3DES", ("3DES", "DES-CBC3"), "DES-CBC3"), ("RC4", ("RC4",), "RC4"))
_UNRECOGNIZED_NAME = 112
_ALLOW_CLIENT_RENEGOTIATION = 1 << 8  # OpenSSL 3 SSL_OP_ALLOW_CLIENT_RENEGOTIATION (no ssl name)
_TLS13_TLSLITE = {"aes128gcm", "aes256gcm", "chacha20-poly1305", "aes128ccm", "aes128ccm_8"}


def _wants_weak(ciphers: str) -> bool:
    """Does the cipher string *include* (not exclude with ! or -) a weak family?"""
    tokens = re.split(r"[:, ]+", ciphers)
    return any(t and t[0] not in "!-" and _WEAK_WORDS.search(t) for t in tokens)


def _cipher_string(spec: ServerSpec) -> str | None:
    """The string for ``set_ciphers``; ``None`` keeps Python's (modern) default."""
    legacy_version = spec.min_version in ("SSLv3", "TLSv1.0", "TLSv1.1")
    weak = legacy_version or _wants_weak(spec.ciphers or "")
    if spec.ciphers and "@SECLEVEL" in spec.ciphers:
        return spec.ciphers
    if weak:
        return f"{spec.ciphers or 'DEFAULT'}:@SECLEVEL=0"
    return spec.ciphers


def _check_weak_available(ctx: ssl.SSLContext, ciphers: str) -> None:
    """Fail loudly when 3DES/RC4 are asked for but this libssl dropped them.

    Debian builds OpenSSL with ``no-weak-ssl-ciphers``: ``set_ciphers`` then keeps the
    other words of the string and the server silently offers no 3DES/RC4.
    """
    offered = " ".join(c["name"] for c in ctx.get_ciphers()).upper()
    tokens = [t.upper() for t in re.split(r"[:, ]+", ciphers) if t and t[0] not in "!-"]
    for family, asked_marks, offered_mark in _WEAK_FAMILIES:
        asked = any(m in t for t in tokens for m in asked_marks)
        if asked and offered_mark not in offered:
            raise ValueError(
                f"{family} asked in {ciphers!r} but this OpenSSL has none: "
                f"use engine='tlslite' with tlslite_ciphers=('{family.lower()}', ...)"
            )


def _reject_ip_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> int | None:
    if name is not None and is_ip(name.strip("[]")):
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    return None


def build_context(spec: ServerSpec) -> ssl.SSLContext:
    """The server context; groups and TLS 1.3 suites come from ``OPENSSL_CONF``."""
    assert spec.chain_pem and spec.key_pem
    if spec.max_version == "SSLv3" and not ssl.HAS_SSLv3:
        raise ValueError("this OpenSSL has no SSL 3.0: use engine='tlslite'")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 on purpose
        ctx.minimum_version = _SSL_VERSIONS[spec.min_version]
        ctx.maximum_version = _SSL_VERSIONS[spec.max_version]
    ciphers = _cipher_string(spec)
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
        _check_weak_available(ctx, ciphers)
    try:
        ctx.load_cert_chain(spec.chain_pem, spec.key_pem)
    except ssl.SSLError:
        # Weak certificate (RSA-1024, SHA-1 signature): accepted at level 0 only.
        # Keep the same TLS <= 1.2 suites, just lower the level.
        same = [c["name"] for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"]
        ctx.set_ciphers(":".join([*same, "@SECLEVEL=0"]))
        ctx.load_cert_chain(spec.chain_pem, spec.key_pem)
    if spec.reject_ip_sni:
        ctx.sni_callback = _reject_ip_sni
    if spec.client_preference:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if spec.dh_params:
        ctx.load_dh_params(spec.dh_params)
    if spec.client_renegotiation:
        ctx.options |= _ALLOW_CLIENT_RENEGOTIATION
    return ctx


def openssl_engine(spec: ServerSpec) -> Engine:
    ctx = build_context(spec)

    def run(sock: socket.socket) -> None:
        try:
            tls = ctx.wrap_socket(sock, server_side=True)
        except (OSError, ValueError):
            sock.close()
            return
        try:
            after_tls(tls, spec)
        finally:
            close_gracefully(tls)

    return run


def tlslite_settings(spec: ServerSpec) -> Any:
    """tlslite-ng ``HandshakeSettings`` for the spec (validated once, here)."""
    with warnings.catch_warnings():  # tlslite/__init__ imports asyncore (deprecated)
        warnings.simplefilter("ignore", DeprecationWarning)
        from tlslite.handshakesettings import HandshakeSettings

    settings = HandshakeSettings()
    settings.minVersion = _TLSLITE_VERSIONS[spec.min_version]
    settings.maxVersion = _TLSLITE_VERSIONS[spec.max_version]
    if spec.tlslite_ciphers:
        settings.cipherNames = list(spec.tlslite_ciphers)
        if not _TLS13_TLSLITE.intersection(spec.tlslite_ciphers):
            # TLS 1.3 would be chosen and then fail on the cipher: stop at 1.2.
            settings.maxVersion = min(settings.maxVersion, (3, 3))
            settings.minVersion = min(settings.minVersion, settings.maxVersion)
        if "rc4" in spec.tlslite_ciphers:
            settings.macNames = [*settings.macNames, "md5"]  # RC4-MD5 as well as RC4-SHA
    if spec.groups:
        names = [_TLSLITE_GROUPS.get(g.strip().lower(), g.strip()) for g in spec.groups.split(":")]
        settings.eccCurves = [n for n in names if not n.startswith("ffdhe")]
        settings.dhGroups = [n for n in names if n.startswith("ffdhe")]
        enabled = settings.eccCurves + settings.dhGroups
        settings.keyShares = [k for k in settings.keyShares if k in enabled]  # client-only
        if settings.eccCurves:
            settings.defaultCurve = settings.eccCurves[0]
    settings.validate()  # raises ValueError now rather than per connection
    return settings


def tlslite_engine(spec: ServerSpec) -> Engine:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from tlslite.tlsconnection import TLSConnection
        from tlslite.utils.keyfactory import parsePEMKey
        from tlslite.x509certchain import X509CertChain

    assert spec.chain_pem and spec.key_pem
    chain = X509CertChain()
    chain.parsePemList(Path(spec.chain_pem).read_text())
    key = parsePEMKey(Path(spec.key_pem).read_text(), private=True, implementations=["python"])
    settings = tlslite_settings(spec)

    def run(sock: socket.socket) -> None:
        try:
            if spec.reject_ip_sni:
                name = peek_sni(sock)
                if name is not None and is_ip(name.strip("[]")):
                    sock.sendall(fatal_alert(_UNRECOGNIZED_NAME))
                    return
            conn = TLSConnection(sock)
            conn.handshakeServer(certChain=chain, privateKey=key, settings=settings)
            after_tls(conn, spec)
        finally:
            close_gracefully(sock)

    return run
