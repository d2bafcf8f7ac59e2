"""The application entry point: `scan(ScanRequest) -> ScanResult`.

The CLI (`rempart scan`), the demo (`scanner/demo/run.py`) and, through the CLI, the benchmark
(`bench/tls_bench.py`) all scan through here. Progress goes to a `ScanObserver` (the CLI's
progress bar is one); `ScanRequest.cancel` stops a running scan: subjects not yet probed and
connections not yet opened become `error` facts of category `interrupted`, and the result is
marked `interrupted`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from scanner.engine import ScanOptions, run_scan
from scanner.interrupt import Cancel
from scanner.models import InventoryInfo, ScanResult, ServiceReport
from scanner.probes.registry import Registry
from scanner.rulepack.model import RuleSet


class ScanObserver(Protocol):
    """Told what happens during a scan (from several threads: implementations lock)."""

    def started(self, subjects: int) -> None: ...

    def subject_done(self, report: ServiceReport) -> None: ...

    def finished(self, result: ScanResult) -> None: ...


class SilentObserver:
    def started(self, subjects: int) -> None:
        pass

    def subject_done(self, report: ServiceReport) -> None:
        pass

    def finished(self, result: ScanResult) -> None:
        pass


@dataclass(frozen=True)
class ScanRequest:
    inventory: InventoryInfo
    rules: RuleSet
    options: ScanOptions = field(default_factory=ScanOptions)
    observer: ScanObserver = field(default_factory=SilentObserver)
    cancel: Cancel = field(default_factory=Cancel)  # set() to stop the scan (scanner.interrupt)
    registry: Registry | None = None  # None: the built-in probes, made for this scan


def scan(request: ScanRequest) -> ScanResult:
    """Probe every subject of the inventory, judge it against the rules, return the result.

    Never raises for what the network does: a host that does not resolve, a vantage that
    cannot be reached or a probe that crashes makes only its subjects' rules `error`.
    """
    request.observer.started(len(request.inventory.all_subjects()))
    result = run_scan(request.inventory, request.rules, request.options,
                      registry=request.registry, on_service=request.observer.subject_done,
                      cancel=request.cancel)
    request.observer.finished(result)
    return result
