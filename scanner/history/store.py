"""The history database: open (migrating it to the latest schema), store a scan in one
transaction, list and load scans.

SQLite by default, a file under $XDG_DATA_HOME (or ~/.local/share)/rempart/history.sqlite;
`--db PATH|URL` or $REMPART_DB changes it (`postgresql://user@host/db` for a shared server).
SQLite writers take the write lock when their transaction begins (BEGIN IMMEDIATE) and wait
for each other (busy timeout), so two scans finishing at once are stored one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, func, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from reports.json_report import load_json, render_json
from scanner.history.diff import text_of
from scanner.history.location import ENV_VAR as ENV_VAR  # re-exported: store's old names
from scanner.history.location import HistoryError as HistoryError
from scanner.history.location import db_url as db_url
from scanner.history.location import default_path as default_path
from scanner.history.tables import results, scans
from scanner.models import ScanResult, Severity, Status

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

HEAD = "0002"  # the newest revision in migrations/versions (a test checks it is Alembic's head)

BUSY_SECONDS = 60  # how long a writer waits for another one (SQLite)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise HistoryError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
            raise HistoryError(f"unsupported database URL {parsed!r}: {exc}") from None
    engine = create_engine(parsed, connect_args={"timeout": BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA foreign_keys=ON")
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock now, not mid-way

    return engine


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("scanner.history").joinpath("migrations")))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (every older database is upgraded in place)."""
    if revision == "head":
        with engine.connect() as conn:
            if at_head(conn):  # the usual case: no need to load Alembic (~0.3 s of imports)
                return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def at_head(conn: Connection) -> bool:
    """The database is at the newest revision, read from Alembic's own version table."""
    if not inspect(conn).has_table("alembic_version"):
        return False
    versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return list(versions) == [HEAD]


@dataclass(frozen=True)
class ScanRow:
    id: int
    inventory: str
    customer: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str
    tool_version: str
    services_total: int
    services_done: int
    full: bool
    counts: dict[str, int]


@dataclass(frozen=True)
class TimelineEntry:
    """A complete scan with its open findings: (rule, service) -> (status, severity)."""

    scan_id: int
    started_at: dt.datetime
    full: bool
    findings: dict[tuple[str, str], tuple[Status, Severity]]


def inventory_key(result: ScanResult) -> str:
    return result.inventory.path or "(targets)"


class HistoryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, result: ScanResult, *, interrupted: bool | None = None,
             full: bool = True) -> int:
        """Store a scan and its results in one transaction; return its ID."""
        stopped = bool(getattr(result, "interrupted", False)) if interrupted is None \
            else interrupted
        severity = {r.id: r.severity for r in result.rules}
        done = len({s.service.key for s in result.services})
        total = len(result.inventory.all_subjects())
        with self.engine.begin() as conn:
            scan_id = conn.execute(insert(scans).values(
                inventory=inventory_key(result), customer=result.inventory.contract.customer,
                started_at=_utc(result.started_at), finished_at=_utc(result.finished_at),
                tool_version=result.tool_version,
                status="interrupted" if stopped else "complete",
                result=render_json(result), services_total=total, services_done=done,
                full=full and not stopped and not result.exclusions,
            ).returning(scans.c.id)).scalar_one()
            if result.results:
                conn.execute(insert(results), [
                    {"scan_id": scan_id, "rule_id": r.rule_id, "service": r.service,
                     "status": r.status.value,
                     "severity": severity.get(r.rule_id, Severity.INFO).value,
                     "message": text_of(r, result), "waiver": r.waiver}
                    for r in result.results])
        return int(scan_id)

    def scans(self, inventory: str | None = None, limit: int | None = None,
              complete_only: bool = False) -> list[ScanRow]:
        """Scans, newest first."""
        query = select(scans.c.id, scans.c.inventory, scans.c.customer, scans.c.started_at,
                       scans.c.finished_at, scans.c.status, scans.c.tool_version,
                       scans.c.services_total, scans.c.services_done, scans.c.full)
        if inventory is not None:
            query = query.where(scans.c.inventory == inventory)
        if complete_only:
            query = query.where(scans.c.status == "complete")
        query = query.order_by(scans.c.started_at.desc(), scans.c.id.desc())
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            counts: dict[int, dict[str, int]] = {r.id: dict.fromkeys(
                (s.value for s in Status), 0) for r in rows}
            if rows:
                tally = conn.execute(
                    select(results.c.scan_id, results.c.status, func.count())
                    .where(results.c.scan_id.in_(list(counts)))
                    .group_by(results.c.scan_id, results.c.status)).all()
                for scan_id, status, n in tally:
                    counts[scan_id][status] = n
        return [ScanRow(id=r.id, inventory=r.inventory, customer=r.customer,
                        started_at=_utc(r.started_at), finished_at=_utc(r.finished_at),
                        status=r.status, tool_version=r.tool_version,
                        services_total=r.services_total, services_done=r.services_done,
                        full=bool(r.full), counts=counts[r.id]) for r in rows]

    def load(self, scan_id: int) -> ScanResult:
        with self.engine.connect() as conn:
            text = conn.execute(select(scans.c.result).where(scans.c.id == scan_id)
                                ).scalar_one_or_none()
        if text is None:
            raise HistoryError(f"no scan {scan_id} in the history; `rempart history` lists "
                               "them")
        return load_json(text)

    def timeline(self, inventory: str) -> list[TimelineEntry]:
        """The complete scans of an inventory, oldest first, with their failed and waived
        results (read from the results table, not the JSON)."""
        rows = list(reversed(self.scans(inventory, complete_only=True)))
        found: dict[int, dict[tuple[str, str], tuple[Status, Severity]]] = {r.id: {}
                                                                            for r in rows}
        if rows:
            with self.engine.connect() as conn:
                for scan_id, rule, service, status, severity in conn.execute(
                        select(results.c.scan_id, results.c.rule_id, results.c.service,
                               results.c.status, results.c.severity)
                        .where(results.c.scan_id.in_(list(found)),
                               results.c.status.in_(["fail", "waived"]))):
                    found[scan_id][rule, service] = (Status(status), Severity(severity))
        return [TimelineEntry(scan_id=r.id, started_at=r.started_at, full=r.full,
                              findings=found[r.id]) for r in rows]

    def results_of(self, inventory: str, up_to: int | None = None
                   ) -> list[tuple[ScanRow, ScanResult]]:
        """Every complete scan of an inventory (oldest first), up to scan `up_to`."""
        rows = list(reversed(self.scans(inventory, complete_only=True)))
        if up_to is not None:
            order = [r.id for r in rows]
            if up_to in order:
                rows = rows[:order.index(up_to) + 1]
        return [(row, self.load(row.id)) for row in rows]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@contextmanager
def open_store(url: str | None = None) -> Iterator[HistoryStore]:
    """Open (creating and migrating as needed) the history database at `url`."""
    engine = make_engine(db_url(url))
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise HistoryError(f"cannot open the history database {engine.url!r}: "
                           f"{exc.orig}") from None
    try:
        yield HistoryStore(engine)
    finally:
        engine.dispose()
