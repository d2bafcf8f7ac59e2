"""An FTP server with AUTH TLS (pyftpdlib's TLS handler over pyOpenSSL), in a server child.

``starttls_advertised=False`` serves plain FTP (AUTH answered 500); ``ftp_tls_required``
refuses USER before AUTH TLS (530). ``dh_params`` loads DH parameters for DHE suites (1024-bit
ones need ``@SECLEVEL=0`` in ``ciphers``). Anonymous read-only access to an empty directory.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

from .spec import ServerSpec

_VERSIONS = ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def _context(spec: ServerSpec) -> Any:
    from OpenSSL import SSL

    assert spec.chain_pem and spec.key_pem
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    codes = (SSL.TLS1_VERSION, SSL.TLS1_1_VERSION, SSL.TLS1_2_VERSION, SSL.TLS1_3_VERSION)
    by_name = dict(zip(_VERSIONS, codes, strict=True))
    ctx.set_min_proto_version(by_name.get(spec.min_version, SSL.TLS1_VERSION))
    ctx.set_max_proto_version(by_name[spec.max_version])
    if spec.ciphers:
        ctx.set_cipher_list(spec.ciphers.encode())
    if spec.dh_params:
        ctx.load_tmp_dh(spec.dh_params.encode())
    ctx.set_options(SSL.OP_NO_COMPRESSION)
    ctx.use_certificate_chain_file(spec.chain_pem)
    ctx.use_privatekey_file(spec.key_pem)
    return ctx


class FtpServer:
    """pyftpdlib on the spec's address; counts accepted connections like the other servers."""

    def __init__(self, spec: ServerSpec, home: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
            from pyftpdlib.servers import ThreadedFTPServer

        self.spec = spec
        self.accepted = 0
        self.lock = threading.Lock()
        # the anonymous user's (empty) home: beside the spec file, so it goes with the run's
        # directory (the child ends with os._exit: a temporary directory would be left behind)
        home.mkdir(exist_ok=True)
        authorizer = DummyAuthorizer()
        authorizer.add_anonymous(str(home))
        server = self
        base: Any = TLS_FTPHandler if spec.starttls_advertised else FTPHandler

        class Handler(base):  # type: ignore[misc]
            banner = f"{spec.name} FTP ready (Rempart demo)"

            def on_connect(self) -> None:
                with server.lock:
                    server.accepted += 1

        Handler.authorizer = authorizer
        if spec.starttls_advertised:
            Handler.ssl_context = _context(spec)
            Handler.tls_control_required = spec.ftp_tls_required
        self.server = ThreadedFTPServer((spec.host, spec.port), Handler)

    @property
    def ports(self) -> list[int]:
        return [int(self.server.socket.getsockname()[1])]

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, kwargs={"handle_exit": False},
                         daemon=True).start()
