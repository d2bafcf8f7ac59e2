"""One demo at a time per machine: the demo's hosts live on fixed loopback addresses.

Two demos at once would see each other's servers in their port scans (127.0.0.11 and up), so a
second `rempart demo` waits for the first instead of reporting the other one's ports.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

LOCK = Path(tempfile.gettempdir()) / "rempart-demo.lock"


@contextmanager
def one_demo_at_a_time(lock: Path = LOCK) -> Iterator[None]:
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo("rempart demo: another demo is running on this machine; waiting for it "
                       "to end (its hosts use the same loopback addresses)", err=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
