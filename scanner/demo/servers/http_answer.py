"""HTTP answers of the demo servers: pages, protected paths, redirects, extra headers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Protocol

from .spec import ServerSpec

METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"OPTIONS ")


class Stream(Protocol):
    def recv(self, n: int) -> bytes: ...
    def sendall(self, data: bytes) -> None: ...


def read_request(stream: Stream) -> bytes:
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 16384:
        chunk = stream.recv(4096)
        if not chunk:
            break
        request += chunk
    return request


def answer(stream: Stream, spec: ServerSpec, request: bytes) -> None:
    """One response, chosen by the spec: redirect, 401 on protected paths, else 200."""
    if not request.startswith(METHODS):
        return
    path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "/"
    headers = list(spec.http_headers)
    if spec.redirect_to:
        status, body = "301 Moved Permanently", ""
        headers.append(f"Location: {spec.redirect_to.rstrip('/')}{path}")
    elif any(path.startswith(p) for p in spec.protected_paths):
        status, body = "401 Unauthorized", "authentication required\n"
        headers.append('WWW-Authenticate: Basic realm="restricted"')
    else:
        status = "200 OK"
        body = f"<html><body>Rempart demo server {spec.name}</body></html>\n"
    data = body.encode()
    head = "\r\n".join([f"HTTP/1.1 {status}", "Content-Type: text/html; charset=utf-8",
                        f"Content-Length: {len(data)}", "Connection: close", *headers])
    stream.sendall((head + "\r\n\r\n").encode() + (b"" if request.startswith(b"HEAD ") else data))


def http_engine(spec: ServerSpec) -> Callable[[socket.socket], None]:
    """Plain HTTP (port 80 front doors)."""

    def handle(conn: socket.socket) -> None:
        answer(conn, spec, read_request(conn))

    return handle


def redis_engine(_spec: ServerSpec) -> Callable[[socket.socket], None]:
    """Answers like a Redis server, enough for nmap's service detection to name it."""

    def handle(conn: socket.socket) -> None:
        buf = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                word = line.strip().split(b" ")[0].upper().lstrip(b"*0123456789\r")
                if b"PING" in line.upper():
                    conn.sendall(b"+PONG\r\n")
                elif b"INFO" in line.upper():
                    info = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
                    conn.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
                elif word and not word.startswith(b"$"):
                    conn.sendall(b"-ERR unknown command\r\n")

    return handle
