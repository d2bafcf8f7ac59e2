"""The same history on a real PostgreSQL server: migrations (from the first version too),
storing and loading scans, history/diff on the command line, two writers at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from scanner.cli import main
from scanner.history.store import db_url, make_engine, migrate, open_store
from scanner.models import Status
from tests.reports.sample import make_sample_result

ROOT = Path(__file__).resolve().parents[2]


def test_store_load_history_and_diff(postgres_db: Callable[[], str]) -> None:
    url = postgres_db()
    sample = make_sample_result()
    fixed = sample.model_copy(update={
        "started_at": sample.started_at.replace(day=10),
        "results": tuple(r.model_copy(update={"status": Status.PASS})
                         if r.rule_id == "TLS-PROTO-002" else r for r in sample.results)})
    with open_store(url) as store:
        first, second = store.save(sample), store.save(fixed)
        assert store.load(first) == sample
        assert [r.id for r in store.scans()] == [second, first]
    listed = CliRunner().invoke(main, ["history", "--db", url])
    assert listed.exit_code == 0 and "inventory.yaml" in listed.output
    out = CliRunner().invoke(main, ["diff", "--db", url, "--format", "json"])
    assert out.exit_code == 0, out.output
    assert '"change": "fixed"' in out.output and "TLS-PROTO-002" in out.output


def test_migration_from_the_first_version(postgres_db: Callable[[], str]) -> None:
    url = postgres_db()
    engine = make_engine(db_url(url))
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO scans (inventory, customer, started_at, finished_at, "
                          "tool_version, status, result) VALUES ('inv.yaml', 'C', now(), "
                          "now(), '0.0.9', 'complete', :r)"),
                     {"r": make_sample_result().model_dump_json()})
    engine.dispose()
    with open_store(url) as store:
        rows = store.scans()
        assert len(rows) == 1 and rows[0].full and rows[0].services_total == 0
        assert store.load(rows[0].id).results == make_sample_result().results


def test_two_writers_at_once(postgres_db: Callable[[], str]) -> None:
    url = postgres_db()  # empty: both writers also race to create the schema
    procs = [subprocess.Popen([sys.executable, "-m", "tests.weekly.writer", url, "10"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    n = len(make_sample_result().results)
    with open_store(url) as store:
        rows = store.scans()
    assert len(rows) == 20
    assert all(sum(r.counts.values()) == n for r in rows)
