"""Small threaded HTTP/HTTPS servers on 127.0.0.1 for the http probe tests.

Each `WebServer` answers GET with a `Route` looked up by path (404 otherwise) and records
every request (path, headers, SNI) so tests can check what the probe sent.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scanner.demo.pki import LeafFiles
from tests.listener import Listener

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Route:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"hello\n"
    delay: float = 0.0  # seconds before answering


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Log:
    requests: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)  # per TLS handshake
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def server_context(leaf: LeafFiles, log: Log) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(leaf.chain_pem, leaf.key_pem)

    def record(_sock: Any, name: str | None, _ctx: ssl.SSLContext) -> None:
        with log.lock:
            log.sni.append(name)

    ctx.sni_callback = record
    return ctx


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(5.0)
            self.request.do_handshake()
        super().setup()

    def do_GET(self) -> None:
        web = self.server.web
        with web.log.lock:
            web.log.requests.append(Seen(self.path, tuple(self.headers.items())))
        route = web.routes.get(self.path.split("?")[0], Route(404, body=b"not found\n"))
        time.sleep(route.delay)
        self.send_response_only(route.status)
        for name, value in route.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    web: WebServer

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        with self.web.log.lock:
            self.web.log.connections += 1
        if self.web.tls is not None:  # the handshake runs in the handler thread
            sock = self.web.tls.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the probe hangs up early on purpose; hostile tests break handshakes


class WebServer:
    """An HTTP server, or HTTPS with `leaf`, on 127.0.0.1; `routes` may change while running."""

    def __init__(self, routes: Mapping[str, Route] | None = None,
                 leaf: LeafFiles | None = None) -> None:
        self.routes = dict(routes or {})
        self.log = Log()
        self.tls = server_context(leaf, self.log) if leaf else None
        self.httpd = _Server((HOST, 0), _Handler)
        self.httpd.web = self
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def requests(self) -> list[Seen]:
        with self.log.lock:
            return list(self.log.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RawServer(Listener):
    """Reads what the client sends first, answers `payload` verbatim (`drip`: one byte at a
    time, that many seconds apart), then hangs up, or with `keep_open` waits for the client."""

    def __init__(self, payload: bytes, drip: float = 0.0, keep_open: bool = False) -> None:
        self.payload, self.drip, self.keep_open = payload, drip, keep_open
        super().__init__(HOST, 0, self._answer, timeout=3.0)

    def _answer(self, conn: socket.socket) -> None:
        conn.recv(65536)
        for i in range(0, len(self.payload), 1 if self.drip else len(self.payload)):
            conn.sendall(self.payload[i : i + 1] if self.drip else self.payload)
            time.sleep(self.drip)
        if not self.keep_open:
            conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):  # until the client hangs up (no RST over our data)
            pass


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
