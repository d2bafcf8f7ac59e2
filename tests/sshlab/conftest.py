"""Real sshd servers on loopback for the SSH audit tests (root only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.demo.sshd import HARDENED, WEAK, Sshd, free_port, keygen, missing_sshd


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    why = missing_sshd()
    if why:
        pytest.skip(why)
    d = tmp_path_factory.mktemp("sshkeys")
    for name, kind, bits in (("ed25519", "ed25519", None), ("rsa2048", "rsa", 2048),
                             ("rsa3072", "rsa", 3072), ("dsa", "dsa", None),
                             ("client", "ed25519", None), ("stranger", "ed25519", None)):
        keygen(d / name, kind, bits)
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    return d


def _server(keys: Path, name: str, host_keys: list[str], settings: dict[str, str]
            ) -> Iterator[Sshd]:
    server = Sshd(keys, name, "127.0.0.1", free_port(), [keys / k for k in host_keys],
                  keys / "authorized_keys", settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def weak_sshd(keys: Path) -> Iterator[Sshd]:
    yield from _server(keys, "weak", ["ed25519", "rsa2048", "dsa"], WEAK)


@pytest.fixture(scope="module")
def hardened_sshd(keys: Path) -> Iterator[Sshd]:
    yield from _server(keys, "hardened", ["ed25519", "rsa3072"], HARDENED)
