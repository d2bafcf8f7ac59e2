"""`rempart history` and `rempart diff`: the scan history on the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scanner.cli import _fail, main
from scanner.history.location import ENV_VAR, HistoryError

if TYPE_CHECKING:  # imported where used: loading the CLI imports no SQLAlchemy, rich, Babel
    from rich.table import Table

    from scanner.history.diff import DiffEntry
    from scanner.history.store import HistoryStore
    from scanner.models import ScanResult

db_option = click.option(
    "--db", metavar="PATH|URL", envvar=ENV_VAR, show_envvar=True,
    help="History database: an SQLite file or postgresql://user@host/dbname "
         "(default: ~/.local/share/rempart/history.sqlite).")


def _echo_table(table: Table) -> None:
    from rich.console import Console

    console = Console(width=120, markup=False, emoji=False, highlight=False,
                      color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(table)
    click.echo("\n".join(line.rstrip() for line in cap.get().splitlines()))


@main.command()
@db_option
@click.option("--inventory", "inventory_key", metavar="PATH",
              help="Only scans of this inventory (as given to `rempart scan`).")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
def history(db: str | None, inventory_key: str | None, limit: int) -> None:
    """List the stored scans, newest first.

    \b
    Examples:
      rempart history
      rempart history --db postgresql://rempart@db.internal/rempart --inventory estate.yaml
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from reports.sarif import clean
    from scanner.history.store import open_store

    try:
        with open_store(db) as store:
            rows = store.scans(inventory_key, limit=limit)
    except HistoryError as exc:
        _fail(str(exc))
    if not rows:
        click.echo("no scan in the history yet")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("id", "started (UTC)", "inventory", "status", "services", "fail", "waived",
                "error", "pass"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.started_at.strftime("%Y-%m-%d %H:%M"),
                      Text(clean(r.inventory)),
                      r.status + ("" if r.full or r.status != "complete" else " (partial)"),
                      f"{r.services_done}/{r.services_total}", str(r.counts["fail"]),
                      str(r.counts["waived"]), str(r.counts["error"]), str(r.counts["pass"]))
    _echo_table(table)


def pick_pair(store: HistoryStore, old: int | None, new: int | None,
              inventory_key: str | None) -> tuple[int, int]:
    """OLD and NEW scan IDs: by default the two latest complete scans of one inventory."""
    if new is None:
        key = inventory_key
        if key is None and old is not None:
            key = store.load(old).inventory.path or "(targets)"
        latest = store.scans(key, limit=1, complete_only=True)
        if not latest:
            raise HistoryError("no complete scan in the history yet")
        key = latest[0].inventory
        rows = store.scans(key, limit=2, complete_only=True)
        if old is None:
            if len(rows) < 2:
                raise HistoryError(f"only one complete scan of {key} in the history; "
                                   "diff needs two")
            return rows[1].id, rows[0].id
        return old, rows[0].id
    if old is None:
        raise HistoryError("give OLD with NEW")
    return old, new


@main.command()
@click.argument("old", required=False, type=int)
@click.argument("new", required=False, type=int)
@db_option
@click.option("--inventory", "inventory_key", metavar="PATH",
              help="Compare the two latest scans of this inventory.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def diff(old: int | None, new: int | None, db: str | None, inventory_key: str | None,
         fmt: str) -> None:
    """Show new, fixed, still failing and changed findings between two scans.

    OLD and NEW are scan IDs from `rempart history` (default: the two latest complete scans of
    the same inventory). Each open finding shows when it was first seen, its age, and its due
    date when the inventory sets remediation deadlines (operations.remediation_days).

    \b
    Examples:
      rempart diff
      rempart diff 41 42 --format json
    """
    from scanner.history.diff import diff_scans
    from scanner.history.store import open_store

    try:
        with open_store(db) as store:
            old_id, new_id = pick_pair(store, old, new, inventory_key)
            before, after = store.load(old_id), store.load(new_id)
            key = after.inventory.path or "(targets)"
            history = [r for _, r in store.results_of(key, up_to=new_id)]
    except HistoryError as exc:
        _fail(str(exc))
    entries = diff_scans(before, after, history or (before, after))
    if fmt == "json":
        click.echo(json.dumps(diff_json(old_id, new_id, entries), indent=2,
                              ensure_ascii=False))
    else:
        click.echo(diff_text(old_id, new_id, before, after, entries))
    sys.exit(0)


def diff_json(old: int, new: int, entries: list[DiffEntry]) -> dict[str, object]:
    return {"old": old, "new": new, "findings": [
        {"change": e.change.value, "rule_id": e.rule_id, "service": e.service,
         "severity": e.severity.value, "old": e.old.value if e.old else None,
         "new": e.new.value if e.new else None, "message": e.message,
         "first_seen": e.first_seen.isoformat() if e.first_seen else None,
         "age_days": e.age_days, "due": e.due.isoformat() if e.due else None,
         "overdue": e.overdue} for e in entries]}


def diff_text(old: int, new: int, before: ScanResult, after: ScanResult,
              entries: list[DiffEntry]) -> str:
    from reports.sarif import clean
    from scanner.history.diff import Change

    counts = {c: sum(e.change is c for e in entries) for c in Change}
    lines = [f"scan {old} ({before.started_at:%Y-%m-%d %H:%M}) -> scan {new} "
             f"({after.started_at:%Y-%m-%d %H:%M}): "
             + ", ".join(f"{n} {c.value.replace('_', ' ')}" for c, n in counts.items())]
    overdue = sum(e.overdue for e in entries)
    if overdue:
        lines.append(f"OVERDUE: {overdue} open finding(s) past their remediation deadline")
    for change in Change:
        shown = [e for e in entries if e.change is change]
        if not shown:
            continue
        lines.append("")
        lines.append(f"{change.value.replace('_', ' ').upper()} ({len(shown)})")
        for e in shown:
            status = f"{e.old.value if e.old else '-'} -> {e.new.value if e.new else '-'}"
            age = (f"first seen {e.first_seen:%Y-%m-%d}, {e.age_days} day(s)"
                   if e.first_seen else "")
            due = ""
            if e.due:
                due = f", due {e.due}" + (" OVERDUE" if e.overdue else "")
            lines.append(clean(f"  {'!' if e.overdue else ' '} {e.severity.value:<8} "
                               f"{e.service} {e.rule_id} [{status}] {age}{due}"))
            lines.append("      " + clean(e.message)[:200])
    return "\n".join(lines)


def record(result: ScanResult, db: str | None) -> ScanResult:
    """Store a finished (or interrupted) scan, with what the history adds to it: the weekly
    cadence rule (REQ-OPS-01) and the first-seen dates and chart points of the report. A
    database that fails is exit status 2."""
    from scanner.history.cadence import with_cadence
    from scanner.history.store import inventory_key, open_store
    from scanner.history.summary import with_history

    try:
        with open_store(db) as store:
            timeline = store.timeline(inventory_key(result))
            stopped = bool(getattr(result, "interrupted", False))
            if result.inventory.path is not None and not stopped:
                result = with_cadence(result, [e.started_at for e in timeline if e.full])
            result = with_history(result, timeline)
            scan_id = store.save(result)
    except HistoryError as exc:
        _fail(str(exc))
    where = Path(db).name if db and "://" not in db else "history"
    click.echo(f"stored as scan {scan_id} in {where} (`rempart history`, `rempart diff`)",
               err=True)
    return result
