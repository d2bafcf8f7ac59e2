"""Run one scanner as a child process: wall time, CPU time and its own peak RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Linux keeps a process's peak RSS across exec, and a child starts as a copy of its parent: a
# scanner started from this process (which holds the services' results, 100 MB and more) would
# report at least this process's RSS. A small launcher starts it instead, measures it and writes
# "wall cpu maxrss_kib exit_code" to the file named first.
_LAUNCHER = """\
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as exc:
        print(f"cannot run {sys.argv[2]}: {exc}", file=sys.stderr)
        os._exit(127)  # as a shell says "command not found"
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as out:
    out.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {code}")
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float  # user + system time of the child (and children it waited for)
    peak_rss_mb: float  # ru_maxrss of that child alone, from wait4()
    exit_code: int
    timed_out: bool


def run_measured(cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path,
                 timeout: float) -> Measured:
    """Start ``cmd`` through the launcher (its own rusage from ``os.wait4``, not
    RUSAGE_CHILDREN's maximum over every child so far) and kill it after ``timeout`` seconds."""
    figures = log.with_suffix(".rusage")
    figures.unlink(missing_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, str(figures), *cmd],
                                cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the scanner

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            code = proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    try:
        wall_s, cpu_s, maxrss_kib, exit_code = figures.read_text().split()
    except (OSError, ValueError):  # killed before the launcher could write
        return Measured(wall_s=wall, cpu_s=0.0, peak_rss_mb=0.0, exit_code=code,
                        timed_out=expired.is_set())
    return Measured(wall_s=float(wall_s), cpu_s=float(cpu_s),
                    peak_rss_mb=int(maxrss_kib) / 1024,  # Linux: KiB
                    exit_code=int(exit_code), timed_out=expired.is_set())
