"""Loopback listeners that nmap's service detection can name, for the ports probe tests."""

from __future__ import annotations

import random
import socket
import struct
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from tests.listener import Listener

__all__ = ["Listener"]

Handler = Callable[[socket.socket], None]
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"


def redis_like(conn: socket.socket) -> None:
    """Answers PING and INFO (inline or RESP) like Redis 7.0.15; errors on anything else."""
    info = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\n"
    while data := conn.recv(4096):
        if b"info" in data.lower():
            conn.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        elif b"ping" in data.lower():
            conn.sendall(b"+PONG\r\n")
        else:
            conn.sendall(b"-ERR unknown command\r\n")


def _pg_error(code: str, message: str) -> bytes:
    fields = [b"SFATAL", b"VFATAL", b"C" + code.encode(), b"M" + message.encode(),
              b"Fpostmaster.c", b"L2194", b"RProcessStartupPacket"]
    body = b"\0".join(fields) + b"\0\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


def postgres_like(conn: socket.socket) -> None:
    """PostgreSQL 15's startup: 'N' to SSLRequest, an ErrorResponse to any other packet."""
    while len(head := conn.recv(8, socket.MSG_WAITALL)) == 8:
        length, code = struct.unpack("!II", head)
        if not 8 <= length <= 10000:
            return  # the real server drops it silently ("invalid length of startup packet")
        conn.recv(length - 8, socket.MSG_WAITALL)
        if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
            conn.sendall(b"N")
        elif code >> 16 == 3:
            conn.sendall(_pg_error("28000", 'no pg_hba.conf entry for host "127.0.0.1"'))
            return
        else:
            conn.sendall(_pg_error("0A000", f"unsupported frontend protocol {code >> 16}."
                                   f"{code & 0xFFFF}: server supports 3.0 to 3.0"))
            return


def ssh_like(conn: socket.socket) -> None:
    conn.sendall(SSH_BANNER)
    conn.recv(4096)


def silent(conn: socket.socket) -> None:
    time.sleep(20)


class NginxLike(BaseHTTPRequestHandler):
    def version_string(self) -> str:
        return "nginx/1.22.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def fresh_address(fixed_ports: tuple[int, ...] = ()) -> str:
    """A 127.x.y.z no one else uses, where the fixed ports are free."""
    for _ in range(50):
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"
        try:
            for port in fixed_ports:
                with socket.socket() as s:
                    s.bind((address, port))
        except OSError:
            continue
        return address
    pytest.skip(f"ports {fixed_ports} are taken on every loopback address")


def free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])
