"""The history survives what happens to scans: a writer killed with SIGINT or SIGKILL in the
middle of its writes, a `rempart scan` interrupted mid-scan, two writers at once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner.history.store import open_store
from scanner.models import Status
from tests.reports.sample import make_sample_result
from tests.weekly.helpers import TLS_ONLY, inventory_text

ROOT = Path(__file__).resolve().parents[2]


def default_sigint() -> None:
    """In the child: SIGINT back to its default. pytest-xdist workers ignore SIGINT and an
    ignored signal stays ignored across exec (Python then installs no KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def writer(db: Path, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.weekly.writer", str(db), str(count)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)


def stop(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    """Send `sig`, again every 2 s until the process ends (as a user presses Ctrl-C again: a
    KeyboardInterrupt raised inside a library callback can be swallowed)."""
    for _ in range(30):
        proc.send_signal(sig)
        try:
            proc.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.kill()
    raise AssertionError(f"the process ignored {sig.name} for 60 s")


def client_of(pid: int, conn: socket.socket) -> bool:
    """The peer of `conn` (on loopback) is a socket of process `pid` (from /proc)."""
    peer_port = conn.getpeername()[1]
    ours = conn.getsockname()[1]
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == peer_port and \
                int(remote.split(":")[1], 16) == ours and inode in inodes:
            return True
    return False


def assert_consistent(db: Path) -> int:
    """The file passes SQLite's integrity check, every stored scan has all its results, and
    another scan can still be stored. Returns how many scans were complete."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        per_scan = conn.execute("SELECT s.id, COUNT(r.id) FROM scans s LEFT JOIN results r "
                                "ON r.scan_id = s.id GROUP BY s.id").fetchall()
    with open_store(str(db)) as store:
        assert all(n == len(store.load(i).results) for i, n in per_scan), per_scan
        before = len(store.scans())
        new = store.save(make_sample_result())
        assert len(store.scans()) == before + 1
        assert store.load(new).results == make_sample_result().results
    return len(per_scan)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_writer_killed_mid_write_leaves_a_usable_database(tmp_path: Path,
                                                          sig: signal.Signals) -> None:
    db = tmp_path / "h.sqlite"
    proc = writer(db, 100_000)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    with sqlite3.connect(db) as conn:  # let it get well into its writes
        while conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] < 20:
            time.sleep(0.05)
    stop(proc, sig)
    assert proc.returncode != 0  # it was stopped, not finished
    assert assert_consistent(db) >= 20


def test_two_writers_at_once(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite"  # both also race to create the schema
    procs = [writer(db, 15), writer(db, 15)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert assert_consistent(db) == 30


def test_scan_interrupted_with_sigint_leaves_nothing_or_a_marked_record(
        tmp_path: Path) -> None:
    """A real `rempart scan` of a server that never answers, stopped with Ctrl-C while it
    waits for that server."""
    silent = socket.socket()  # accepts connections (backlog) and never speaks
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    (tmp_path / "inventory.yaml").write_text(inventory_text({"mute": port}))
    db = tmp_path / "h.sqlite"
    with open_store(str(db)) as store:
        store.save(make_sample_result())  # an earlier scan that must survive
    env = {**os.environ, "REMPART_DB": str(db)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "rempart"), "scan",
                             str(tmp_path / "inventory.yaml"), *TLS_ONLY, "--timeout", "30",
                             "-q"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    held: list[socket.socket] = []  # accepted and never answered
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the scan itself waits on this server
            try:
                silent.settimeout(0.2)
                conn, _ = silent.accept()
            except TimeoutError:
                continue
            held.append(conn)
            if client_of(proc.pid, conn):
                break
        else:
            raise AssertionError("the scan never connected")
        stop(proc, signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        for conn in held:
            conn.close()
        silent.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    with open_store(str(db)) as store:
        rows = store.scans()
    assert rows[-1].status == "complete"  # the earlier scan is intact
    assert all(r.status == "interrupted" for r in rows[:-1])  # nothing, or marked
    if rows[:-1]:  # what was gathered: the unfinished subject's rules are errors
        with open_store(str(db)) as store:
            stopped = store.load(rows[0].id)
        assert stopped.interrupted
        assert {r.status for r in stopped.results} <= {Status.ERROR, Status.NOT_APPLICABLE}
    assert_consistent(db)
