"""SIGINT and SIGTERM during a scan: stop fast, keep what was learned, exit with a clear status.

The first signal sets a `Cancel` flag (the engine stops waiting for unfinished subjects and
starts no new probe), and kills the scan's child processes (nmap, helpers) so nothing keeps
scanning after Rempart is gone. The command then writes the results gathered so far, marked
`interrupted`, and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import FrameType
from typing import NoReturn, TypeVar

from scanner.models import ProbeRun, ProbeStatus, ReasonCategory, ServiceReport, Subject
from scanner.probes.base import ProbeFailure

T = TypeVar("T")
R = TypeVar("R")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
KILL_GRACE = 0.5  # seconds a child gets to exit after SIGTERM before SIGKILL
POLL = 0.2  # seconds between looks at the flag while waiting for subjects


class Cancel:
    """Set once, by a signal (or a test); read by the engine and the probes."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def set(self, signum: int | None = None) -> None:
        if self.signum is None:
            self.signum = signum
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "a cancellation"

    @property
    def exit_status(self) -> int:
        """128 + the signal number, as shells report a death by signal (130, 143)."""
        return 128 + (self.signum or signal.SIGINT)


def kill_children(grace: float = KILL_GRACE) -> list[int]:
    """Terminate every descendant process (nmap, ssh helpers), SIGKILL those still alive
    after `grace` seconds. Returns their process IDs."""
    import psutil  # only when a scan is interrupted

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=grace)
    return [c.pid for c in children]


@contextlib.contextmanager
def signals_cancel(cancel: Cancel) -> Iterator[Cancel]:
    """While inside: SIGINT/SIGTERM set `cancel` and kill the children; a second one exits."""
    if threading.current_thread() is not threading.main_thread():
        yield cancel  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set():
            sys.stderr.write(f"\nrempart: {signal.Signals(signum).name} again: exiting now\n")
            sys.stderr.flush()
            kill_children(grace=0)
            os._exit(128 + signum)  # the user insists: no report
        cancel.set(signum)
        sys.stderr.write(f"\nrempart: {signal.Signals(signum).name} received: stopping the "
                         "scan, writing what was gathered (send it again to exit at once)\n")
        sys.stderr.flush()
        kill_children()

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield cancel
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def map_cancellable(fn: Callable[[T], R], items: Sequence[T], workers: int,
                    cancel: Cancel | None) -> list[R | None]:
    """`[fn(x) for x in items]` on `workers` threads; when `cancel` is set, stop waiting and
    return None for the items not finished. Threads left running are abandoned (the command
    exits without joining them)."""
    if cancel is not None and cancel.is_set():
        return [None] * len(items)

    def guarded(item: T) -> R | None:
        got = fn(item)  # finished after the signal: its probes may have been killed mid-way
        return None if cancel is not None and cancel.is_set() else got

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    futures: list[Future[R | None]] = [pool.submit(guarded, item) for item in items]
    pending = set(futures)
    try:
        while pending and not (cancel is not None and cancel.is_set()):
            _, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
    finally:
        interrupted = cancel is not None and cancel.is_set()
        pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
    if not interrupted:
        return [f.result() for f in futures]
    return [f.result() if f.done() and not f.cancelled() and f.exception() is None else None
            for f in futures]


def interrupted_report(service: Subject, wanted: Mapping[str, frozenset[str]],
                       cancel: Cancel) -> ServiceReport:
    """A subject the scan did not finish: each fact its rules needed is an `interrupted`
    error (so its rules are `error`, never `pass`)."""
    failure = ProbeFailure(f"the scan was interrupted ({cancel.name}) before this subject was "
                           "finished", ReasonCategory.INTERRUPTED)
    from scanner.facts import FACTS  # here: the catalogue loads every probe module

    names = {n for facts in wanted.values() for n in facts}
    facts = tuple(failure.fact(n) for n in FACTS if n in names)
    runs = tuple(ProbeRun(probe=p, status=ProbeStatus.ERROR, reason=failure.detail,
                          category=ReasonCategory.INTERRUPTED) for p in wanted)
    return ServiceReport(service=service, facts=facts, probes=runs)


def exit_now(status: int) -> NoReturn:
    """Exit without waiting for abandoned worker threads (they may sit in a socket read)."""
    sys.stdout.flush()
    sys.stderr.flush()
    kill_children(grace=0.2)
    os._exit(status)
