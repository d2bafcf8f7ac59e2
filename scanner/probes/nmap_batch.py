"""One nmap run for every host of a scan that needs the same exposure scan.

The ports probe keeps its per-host interface; behind it, the first host that asks for a scan
(same vantage, nmap arguments and ports) runs ONE nmap over all the scan's hosts, and the
others wait on its result (a future) within their own time budget. nmap then scans the hosts
side by side at one packet rate, instead of one process per host each waiting out its own
dropped ports. Each host's result is handed out once: a later scan with the same settings
(or a second subject at the same address) starts a new run instead of reading an old one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from scanner.models import ReasonCategory
from scanner.probes.base import ProbeFailure
from scanner.probes.nmap_runner import NmapRun

Key = tuple[str, ...]  # vantage, nmap arguments, ports: what makes two scans the same
Runner = Callable[[tuple[str, ...]], dict[str, NmapRun]]


@dataclass
class _Batch:
    members: tuple[str, ...]
    pending: set[str]
    future: Future[dict[str, NmapRun]] = field(default_factory=Future)


@dataclass(frozen=True)
class Shared:
    run: NmapRun
    hosts: int  # addresses in the nmap run that gave this result
    ran_it: bool  # this caller started the run (the others waited on it)


class NmapBatches:
    """Scan-wide and thread-safe: one per scan (the ports probe holds it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: dict[Key, list[_Batch]] = {}  # batches with hosts still to serve

    def result(self, key: Key, address: str, peers: Sequence[str], deadline: float,
               runner: Runner) -> Shared:
        """`address`'s run; `peers`: every address of the scan that will ask the same.
        An address that is not among them is scanned on its own."""
        with self._lock:
            open_ = self._batches.setdefault(key, [])
            batch = next((b for b in open_ if address in b.pending), None)
            mine = batch is None
            if batch is None:
                members = tuple(dict.fromkeys([address, *peers])) if address in peers \
                    else (address,)
                batch = _Batch(members, set(members))
                open_.append(batch)
            batch.pending.discard(address)
            if not batch.pending:  # everyone has its future: forget the batch
                open_.remove(batch)
        if mine:
            try:
                batch.future.set_result(runner(batch.members))
            except BaseException as exc:  # every waiter gets the same failure
                batch.future.set_exception(exc)
        try:
            runs = batch.future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise ProbeFailure(f"service time budget exhausted while waiting for the nmap run "
                               f"shared by {len(batch.members)} hosts",
                               ReasonCategory.BUDGET_EXHAUSTED) from None
        return Shared(runs[address], len(batch.members), mine)
