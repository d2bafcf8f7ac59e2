"""A progress bar on stderr while services are scanned."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scanner.engine import ScanOptions
from scanner.models import InventoryInfo, ScanResult, Service
from scanner.rulepack.model import RuleSet
from scanner.termtext import rich_safe

Runner = Callable[..., ScanResult]


def scan_with_progress(inventory: InventoryInfo, rules: RuleSet, options: ScanOptions,
                       runner: Runner, *, show: bool) -> ScanResult:
    total = sum(len(h.services) for h in inventory.hosts)
    if not show:
        return runner(inventory, rules, options)
    console = Console(stderr=True)
    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=total)

        def done(service: Service) -> None:
            progress.update(task, advance=1, description=f"last: {rich_safe(service.key)}")

        return runner(inventory, rules, options, on_service=done)
