"""A progress bar on stderr while subjects are scanned: one `ScanObserver` of `scanner.app`."""

from __future__ import annotations

import threading
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING

from scanner.app import ScanRequest, scan
from scanner.models import ScanResult, ServiceReport
from scanner.termtext import rich_safe

if TYPE_CHECKING:  # rich's progress bar is imported when shown (not with -q)
    from rich.console import Console
    from rich.progress import TaskID


class ProgressBar:
    """Use as a context manager around `scan(...)`; the bar disappears when it ends."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.description}"), TimeElapsedColumn())
        self._progress = Progress(*columns, console=console or Console(stderr=True),
                                  transient=True)
        self._task: TaskID | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.stop()

    def started(self, subjects: int) -> None:
        with self._lock:
            self._task = self._progress.add_task("", total=subjects)

    def subject_done(self, report: ServiceReport) -> None:
        with self._lock:
            if self._task is None:
                return
            task = next(t for t in self._progress.tasks if t.id == self._task)
            total = task.total or 0
            if task.completed >= total:  # subjects found during the scan (SSH servers nmap saw)
                total = task.completed + 1
            self._progress.update(self._task, advance=1, total=total,
                                  description=f"last: {rich_safe(report.service.key)}")

    def finished(self, result: ScanResult) -> None:
        pass


def scan_showing_progress(request: ScanRequest, *, show: bool) -> ScanResult:
    """`scan(request)` with the progress bar as its observer when `show`."""
    if not show:
        return scan(request)
    with ProgressBar() as bar:
        return scan(replace(request, observer=bar))
