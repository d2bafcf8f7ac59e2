"""One server process: ``python -m scanner.demo.servers.child SPEC.json``.

Prints ``READY {"ports": [...]}`` once listening. Reads commands on stdin:
``stats`` is answered by one JSON line (``{"connections": N}``). Exits on EOF
of stdin, on ``quit`` and on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from .ftp import FtpServer
from .http_answer import http_engine, redis_engine
from .legacy import garbage_engine, reset_engine, silent_engine, sslv2_engine
from .plaintext import dialogue
from .spec import ServerSpec
from .tls_engines import openssl_engine, tlslite_engine
from .wire import IO_TIMEOUT, close_gracefully

Engine = Callable[[socket.socket], None]
_DEBUG = os.environ.get("REMPART_SERVER_DEBUG") == "1"  # tracebacks to stderr
_ENGINES: dict[str, Callable[[ServerSpec], Engine]] = {
    "openssl": openssl_engine,
    "tlslite": tlslite_engine,
    "sslv2": sslv2_engine,
    "silent": silent_engine,
    "garbage": garbage_engine,
    "reset": reset_engine,
    "http": http_engine,
    "redis": redis_engine,
}


class Server:
    """Listening sockets, one accept thread each, one thread per connection."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.engine = _ENGINES[spec.engine](spec)
        self.accepted = 0
        self.lock = threading.Lock()
        family = socket.AF_INET6 if ":" in spec.host else socket.AF_INET
        self.listeners: list[socket.socket] = []
        for i in range(spec.listeners):
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((spec.host, spec.port if i == 0 else 0))
            except OSError:  # the fixed port is taken: any port will do
                listener.bind((spec.host, 0))
            listener.listen(128)
            self.listeners.append(listener)

    @property
    def ports(self) -> list[int]:
        return [int(s.getsockname()[1]) for s in self.listeners]

    def start(self) -> None:
        for listener in self.listeners:
            threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                time.sleep(0.05)  # e.g. EMFILE: keep accepting
                continue
            with self.lock:
                self.accepted += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(IO_TIMEOUT)
            if self.spec.mode != "tls" and not dialogue(conn, self.spec, secure=False):
                close_gracefully(conn)
                return
            self.engine(conn)
        except Exception:  # scanner clients misbehave: never die
            if _DEBUG:
                traceback.print_exc()
        finally:
            conn.close()


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    os._exit(0)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m scanner.demo.servers.child SPEC.json", file=sys.stderr)
        return 2
    spec = ServerSpec.from_json(Path(argv[1]).read_text())
    signal.signal(signal.SIGTERM, _on_sigterm)
    home = Path(argv[1]).with_suffix(".ftp-home")
    server: Server | FtpServer = FtpServer(spec, home) if spec.engine == "ftp" else Server(spec)
    server.start()
    print("READY " + json.dumps({"name": spec.name, "ports": server.ports}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            with server.lock:
                stats = {"connections": server.accepted}
            print(json.dumps(stats), flush=True)
        elif command == "quit":
            break
    os._exit(0)  # stdin closed: the launcher is gone; daemon threads die with us


if __name__ == "__main__":
    sys.exit(main(sys.argv))
