"""A real PostgreSQL server for the history tests, from Debian's package, started once per
session on a free loopback port in a temporary folder (initdb and pg_ctl refuse to run as root:
they run as the `postgres` user through runuser)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.weekly.helpers import free_port


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (postgresql://postgres@127.0.0.1:PORT) of a throw-away server."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (scripts/install-system-deps.sh installs it)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no postgres user to run the server as")
    base = Path(tempfile.mkdtemp(prefix="rempart-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        os.chown(base, owner.pw_uid, owner.pw_gid)
        os.chown(sock, owner.pw_uid, owner.pw_gid)
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(_as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                "--auth=trust", "-E", "UTF8", "--no-sync"), **run)
    log = base / "server.log"
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log),
                                "-o", options, "-w", "-t", "60", "start"), **run)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                    "-w", "stop"), check=False, capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server: str) -> Callable[[], str]:
    """Make a fresh database on the session's server; returns its URL."""

    def make() -> str:
        name = f"rempart_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{postgres_server}/{name}"

    return make
