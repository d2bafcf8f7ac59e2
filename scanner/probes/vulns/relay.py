"""A loopback relay: sslyze connects here, each connection goes on through ProbeContext.connect.

sslyze opens its own sockets; relaying them keeps every connection under the engine's rules
(connection count, time budget, the vantage/tunnel choice made by `ctx.connect`).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time

from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget

CHUNK = 65536


class Relay:
    def __init__(self, target: ProbeTarget, ctx: ProbeContext) -> None:
        self.target, self.ctx = target, ctx
        self.failures: list[ProbeFailure] = []  # upstream connections that could not be made
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = [self.listener, *self._open]
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = self.ctx.connect(self.target)
        except ProbeFailure as exc:
            self.failures.append(exc)
            client.close()
            return
        with self._lock:
            if self._closed:
                client.close()
                upstream.close()
                return
            self._open += [client, upstream]
        try:
            self._pump(client, upstream)
        finally:
            client.close()
            upstream.close()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        with selectors.DefaultSelector() as sel:
            for sock in (a, b):
                sock.setblocking(False)
                sel.register(sock, selectors.EVENT_READ)
            while time.monotonic() < self.ctx.deadline:
                for key, _ in sel.select(timeout=0.5):
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        return
                    if not data:
                        with contextlib.suppress(OSError):
                            peer[src].shutdown(socket.SHUT_WR)
                        sel.unregister(src)
                        if not sel.get_map():
                            return
                        continue
                    try:
                        peer[src].setblocking(True)
                        peer[src].settimeout(self.ctx.timeout)
                        peer[src].sendall(data)
                        peer[src].setblocking(False)
                    except OSError:
                        return
