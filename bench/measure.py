"""Run one scanner as a child process: wall time, CPU time and its own peak RSS."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float  # user + system time of the child (and children it waited for)
    peak_rss_mb: float  # ru_maxrss of that child alone, from wait4()
    exit_code: int
    timed_out: bool


def run_measured(cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path,
                 timeout: float) -> Measured:
    """Start ``cmd``, reap it with ``os.wait4`` (its own rusage, not RUSAGE_CHILDREN's maximum
    over every child so far) and kill it after ``timeout`` seconds."""
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measured(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                    peak_rss_mb=usage.ru_maxrss / 1024,  # Linux: KiB
                    exit_code=proc.returncode, timed_out=expired.is_set())
