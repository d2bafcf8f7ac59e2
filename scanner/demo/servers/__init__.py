"""Real local TLS servers for the tests and ``rempart demo`` (loopback only).

One child process per :class:`ServerSpec`, started in parallel by
:func:`start_servers`; each gets its own ``OPENSSL_CONF`` (groups, TLS 1.3 suites).

Engines:
- ``openssl``: Python ``ssl`` (system OpenSSL 3.0). ``min_version < TLSv1.2`` or a
  weak word in ``ciphers`` (DES, RC4, NULL, EXP, MD5...) appends ``@SECLEVEL=0``
  (``DEFAULT:@SECLEVEL=0`` when ``ciphers`` is None). Weak certificates (RSA-1024,
  SHA-1) are loaded at level 0 too. ``groups`` and ``ciphersuites`` go through the
  config file. No SSL 3.0, 3DES or RC4 in Debian's libssl: asking for them fails
  at start-up, use ``tlslite``.
- ``tlslite``: tlslite-ng (SSL 3.0 to TLS 1.3, RC4, 3DES); ``tlslite_ciphers`` and
  ``groups`` honoured, ``ciphers``/``ciphersuites`` ignored. Without any TLS 1.3
  capable cipher in ``tlslite_ciphers`` the maximum version drops to TLS 1.2.
- ``sslv2``: answers an SSLv2 CLIENT-HELLO with a SERVER-HELLO (certificate, the
  cipher kinds both know, connection id) or an SSLv2 NO-CIPHER error, then closes;
  no full SSLv2 handshake.
- ``silent`` / ``garbage`` / ``reset``: never answer / 300 non-TLS bytes / TCP RST.

Modes: ``tls`` (TLS from the first byte; an HTTP request after the handshake gets
``200 OK``) or ``smtp``/``imap``/``pop3`` (plaintext dialogue and STARTTLS first,
the same dialogue again inside TLS). Set ``REMPART_SERVER_DEBUG=1`` to get handler
tracebacks in ``WORKDIR/NAME.stderr.log``.
"""

from .launcher import RunningServers, ServerStartError, start_servers
from .spec import ServerSpec

__all__ = ["RunningServers", "ServerSpec", "ServerStartError", "start_servers"]
