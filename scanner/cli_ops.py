"""`rempart gate` (go-live) and `rempart status` (status page and feeds)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from scanner.cli import _fail, input_errors, main
from scanner.cli_history import db_option
from scanner.golive import GateCheck, freeze_check, prerequisites_check
from scanner.history.location import HistoryError
from scanner.inventory import load_inventory
from scanner.models import Operations, ScanResult


def _latest(db: str | None, key: str | None) -> ScanResult | None:
    from scanner.history.store import open_store  # here: loading the CLI imports no SQLAlchemy

    with open_store(db) as store:
        rows = store.scans(key, limit=1, complete_only=True)
        return store.load(rows[0].id) if rows else None


@main.command()
@click.option("--go-live", "go_live", required=True, metavar="YYYY-MM-DD",
              help="The planned go-live date.")
@click.option("--inventory", "inventory_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Inventory whose freeze windows, exceptions and latest scan apply "
                   "(default: those of the latest scan in the history).")
@click.option("--result", "result_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Judge the prerequisites on this JSON result instead of the history.")
@db_option
@input_errors
def gate(go_live: str, inventory_file: Path | None, result_file: Path | None,
         db: str | None) -> None:
    """Go-live gate: fail inside a freeze window (REQ-OPS-02) unless the inventory declares an
    exception for that date (approver, reason), and unless the latest scan shows the go-live
    prerequisites (REQ-OPS-05: backup/restore, monitoring, disaster recovery) checked and met.

    The default freeze is the last week of a year and the first week of the next; set
    `operations.freeze_windows` in the inventory to change it.

    \b
    Examples:
      rempart gate --go-live 2026-12-28 --inventory inventory.yaml
      rempart gate --go-live 2027-02-01 --result result.json

    \b
    Exit status: 0 the go-live may proceed, 1 it may not, 2 bad usage or input.
    """
    try:
        day = dt.date.fromisoformat(go_live)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2027-02-01; got {go_live!r}",
                                 param_hint="--go-live") from None
    latest: ScanResult | None
    try:
        if result_file is not None:
            from reports.json_report import ResultLoadError, load_json

            try:
                latest = load_json(result_file.read_bytes())
            except (OSError, ResultLoadError) as exc:
                _fail(f"{result_file}: {exc}")
        else:
            latest = _latest(db, str(inventory_file) if inventory_file else None)
    except HistoryError as exc:
        _fail(str(exc))
    ops: Operations
    if inventory_file is not None:
        ops = load_inventory(inventory_file).operations
    else:
        ops = latest.inventory.operations if latest else Operations()
    checks = [freeze_check(day, ops), prerequisites_check(latest)]
    click.echo(render_gate(day, checks))
    sys.exit(0 if all(c.passed for c in checks) else 1)


def render_gate(day: dt.date, checks: list[GateCheck]) -> str:
    ok = all(c.passed for c in checks)
    lines = [f"go-live {day}: {'ALLOWED' if ok else 'REFUSED'}"]
    for c in checks:
        lines.append(f"  [{'pass' if c.passed else 'FAIL'}] {c.name}")
        lines += [f"      {line}" for line in c.lines]
    return "\n".join(lines)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for index.html, feed.atom and feeds/<service>.atom.")
@db_option
@click.option("--inventory", "inventory_key_opt", metavar="PATH",
              help="Inventory of the page (as given to `rempart scan`; default: that of the "
                   "latest scan).")
@click.option("--scans", type=click.IntRange(1, 500), default=12, show_default=True,
              help="How many of the latest complete scans the state history shows.")
def status(out: Path, db: str | None, inventory_key_opt: str | None, scans: int) -> None:
    """Write a static status page and Atom feeds from the scan history.

    Each service is operational, minor, major, not operational or in maintenance; the feeds
    (one for the estate, one per service) carry one entry per event: a new finding, a fixed
    one, a waiver expiring within 14 days, a maintenance window.

    \b
    Example:
      rempart status --out /var/www/status
    """
    from scanner.history.store import open_store

    try:
        with open_store(db) as store:
            latest = store.scans(inventory_key_opt, limit=1, complete_only=True)
            if not latest:
                _fail("no complete scan in the history yet: run `rempart scan` first")
            key = latest[0].inventory
            rows = list(reversed(store.scans(key, limit=scans, complete_only=True)))
            history = [store.load(r.id) for r in rows]
    except HistoryError as exc:
        _fail(str(exc))
    try:
        feeds, found = write_status_site(out, history, key)
    except OSError as exc:
        _fail(f"cannot write the status page under {out}: {exc.strerror or exc}")
    click.echo(f"wrote the status page {out / 'index.html'} and {feeds} feed(s) "
               f"({found} event(s), {len(history)} scan(s) of {key})")


def write_status_site(out: Path, history: list[ScanResult], key: str) -> tuple[int, int]:
    """index.html, feed.atom and feeds/<service>.atom under `out`; (feeds, events) written."""
    from reports.feed import render_feed
    from reports.sarif import slug
    from reports.status_page import render_status_page
    from scanner.history.status import events, service_statuses

    statuses = service_statuses(history)
    found = events(history, key)
    customer = history[-1].inventory.contract.customer
    feeds = {s.key: f"feeds/{slug(s.key)}.atom" for s in statuses}
    now = dt.datetime.now(dt.UTC)
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(render_status_page(
        statuses, found, customer=customer, generated_at=now, feeds=feeds), encoding="utf-8")
    (out / "feed.atom").write_text(render_feed(
        found, title=f"{customer}: security status", inventory_key=key), encoding="utf-8")
    for s in statuses:
        (out / feeds[s.key]).write_text(render_feed(
            found, title=f"{customer}: {s.key}", inventory_key=key, service=s.key,
            self_href=Path(feeds[s.key]).name), encoding="utf-8")
    return len(feeds) + 1, len(found)

