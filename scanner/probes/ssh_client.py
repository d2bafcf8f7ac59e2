"""paramiko's classes as Rempart uses them. Imported only by code that opens an SSH session,
so that loading the probe catalogue (every scan) does not import paramiko."""

from __future__ import annotations

from typing import ClassVar

import paramiko
from paramiko.kex_curve25519 import KexCurve25519


class RfcTransport(paramiko.Transport):
    """paramiko knows RFC 8731's curve25519-sha256 only by its older @libssh.org name, and
    servers hardened by the usual guides offer only the RFC name."""

    _kex_info: ClassVar[dict[str, type]] = {
        **paramiko.Transport._kex_info,  # type: ignore[attr-defined]
        "curve25519-sha256": KexCurve25519}
    _preferred_kex: ClassVar[tuple[str, ...]] = (
        "curve25519-sha256", *paramiko.Transport._preferred_kex)  # type: ignore[attr-defined]


class UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__(key.get_name())
        self.key = key


class Reject(paramiko.MissingHostKeyPolicy):
    """Like RejectPolicy, with an exception of our own that keeps the key seen."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        raise UnknownHostKey(key)


class TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Only on request: accept an unknown key and append it to the known_hosts file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        with open(self.path, "a", encoding="ascii") as out:
            out.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
