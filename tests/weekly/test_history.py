"""The history database on real SQLite files: scans of servers whose configuration changes
between scans (a fix, then a regression), `rempart history` and `rempart diff`, first-seen
dates and deadlines, migration from the first schema version."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from scanner.cli import main
from scanner.demo.servers import ServerSpec
from scanner.history.diff import Change, diff_scans, first_seen
from scanner.history.store import make_engine, migrate, open_store
from scanner.models import Operations, Severity, Status
from tests.conftest import TlsPki
from tests.reports.sample import make_sample_result
from tests.weekly.helpers import files, free_port, inventory_text, scan_with


def test_history_and_diff_across_a_fix_and_a_regression(tmp_path: Path,
                                                        tls_pki: TlsPki) -> None:
    db = str(tmp_path / "h.sqlite")
    web, api = free_port(), free_port()
    (tmp_path / "inventory.yaml").write_text(inventory_text({"web": web, "api": api}))
    good = files(tls_pki)
    old_web = ServerSpec("web", **good, min_version="TLSv1.0", port=web)  # TLS 1.0: fails
    fixed_web = ServerSpec("web", **good, port=web)
    good_api = ServerSpec("api", **good, port=api)
    broken_api = ServerSpec("api", **files(tls_pki, "self_signed"), port=api)  # regression

    first = scan_with([old_web, good_api], tmp_path, db, tls_pki)
    assert first.exit_code == 1, first.output
    second = scan_with([fixed_web, good_api], tmp_path, db, tls_pki)
    assert second.exit_code == 0, second.output
    third = scan_with([fixed_web, broken_api], tmp_path, db, tls_pki)
    assert third.exit_code == 1, third.output

    listed = CliRunner().invoke(main, ["history", "--db", db])
    assert listed.exit_code == 0
    rows = [line.split() for line in listed.output.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["3", "2", "1"]
    assert all("complete" in r for r in rows)

    fix = CliRunner().invoke(main, ["diff", "1", "2", "--db", db, "--format", "json"])
    data = json.loads(fix.output)
    fixed = {(f["rule_id"], f["service"]) for f in data["findings"] if f["change"] == "fixed"}
    assert ("TLS-PROTO-002", f"web:{web}/https") in fixed
    assert not [f for f in data["findings"] if f["change"] == "new"]

    latest = CliRunner().invoke(main, ["diff", "--db", db, "--format", "json"])  # 2 -> 3
    data = json.loads(latest.output)
    assert (data["old"], data["new"]) == (2, 3)
    new = [f for f in data["findings"] if f["change"] == "new"]
    assert ("CERT-TRUST-001", f"api:{api}/https") in {(f["rule_id"], f["service"]) for f in new}
    assert all(f["first_seen"] and f["age_days"] == 0 for f in new)
    text = CliRunner().invoke(main, ["diff", "--db", db])
    assert "NEW (" in text.output and "CERT-TRUST-001" in text.output

    with open_store(db) as store:  # the stored JSON is the full result
        result = store.load(3)
    assert {r.rule_id: r.status for r in result.results
            if r.service.startswith("api:")}["CERT-TRUST-001"] is Status.FAIL


def test_first_seen_age_and_overdue() -> None:
    base = make_sample_result()
    day = dt.timedelta(days=1)
    ops = Operations(remediation_days={Severity.HIGH: 7, Severity.MEDIUM: 90})
    inv = base.inventory.model_copy(update={"operations": ops})
    scans = [base.model_copy(update={"started_at": base.started_at + n * 7 * day,
                                     "inventory": inv}) for n in range(3)]
    key = ("TLS-PROTO-002", "mail:25/smtp")
    assert first_seen(scans)[key] == scans[0].started_at
    fixed_between = [r.model_copy(update={"status": Status.PASS}) if (r.rule_id, r.service)
                     == key else r for r in base.results]
    middle = scans[1].model_copy(update={"results": tuple(fixed_between)})
    assert first_seen([scans[0], middle, scans[2]])[key] == scans[2].started_at  # regressed
    entries = {(e.rule_id, e.service): e for e in diff_scans(scans[1], scans[2], scans)}
    still = entries[key]
    assert still.change is Change.STILL_FAILING and still.age_days == 14
    severities = {r.id: r.severity for r in base.rules}
    if severities["TLS-PROTO-002"] is Severity.HIGH:
        assert still.overdue and still.due == scans[0].started_at.date() + 7 * day


def test_diff_kinds(tmp_path: Path) -> None:
    old = make_sample_result()
    changed = []
    for r in old.results:
        if (r.rule_id, r.service) == ("TLS-PROTO-002", "mail:25/smtp"):
            r = r.model_copy(update={"status": Status.PASS})  # fixed
        elif (r.rule_id, r.service) == ("CERT-TRUST-001", "legacy-api:8443/tls"):
            r = r.model_copy(update={"status": Status.ERROR})  # not checked: not fixed
        elif (r.rule_id, r.service) == ("TLS-PROTO-001", "portal:443/https"):
            r = r.model_copy(update={"status": Status.FAIL})  # new
        changed.append(r)
    new = old.model_copy(update={"results": tuple(changed)})
    kinds = {(e.rule_id, e.service): e.change for e in diff_scans(old, new)}
    assert kinds["TLS-PROTO-002", "mail:25/smtp"] is Change.FIXED
    assert kinds["CERT-TRUST-001", "legacy-api:8443/tls"] is Change.CHANGED
    assert kinds["TLS-PROTO-001", "portal:443/https"] is Change.NEW
    assert kinds["TLS-CIPH-002", "mail:25/smtp"] is Change.STILL_FAILING


def test_a_database_at_the_first_schema_version_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0001")
    engine.dispose()
    sample = make_sample_result()
    from reports.json_report import render_json
    data = json.loads(render_json(sample))
    data["schema_version"] = "1"  # as an old release wrote it
    del data["exclusions"], data["waivers"]
    with sqlite3.connect(path) as conn:
        cols = [row[1] for row in conn.execute("PRAGMA table_info(scans)")]
        assert "services_total" not in cols  # really the first version
        conn.execute("INSERT INTO scans (inventory, customer, started_at, finished_at, "
                     "tool_version, status, result) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     ("inventory.yaml", "Clinique", "2025-03-03 08:00:00",
                      "2025-03-03 08:02:00", "0.0.9", "complete", json.dumps(data)))
        conn.execute("INSERT INTO results (scan_id, rule_id, service, status, severity, "
                     "message) VALUES (1, 'TLS-PROTO-002', 'mail:25/smtp', 'fail', 'high', "
                     "'TLS 1.0 offered')")
    with open_store(str(path)) as store:
        rows = store.scans()
        assert rows[0].counts["fail"] == 1 and rows[0].full
        assert store.load(1).results == sample.results
        store.save(sample)
        assert [r.id for r in store.scans()] == [2, 1]
    plain = create_engine(f"sqlite:///{path}")
    with plain.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    plain.dispose()
    assert version == "0002"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_unknown_scan_and_bad_database_are_clear(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    out = CliRunner().invoke(main, ["diff", "--db", db])
    assert out.exit_code == 2 and "no complete scan" in out.output
    with open_store(db) as store:
        store.save(make_sample_result())
    out = CliRunner().invoke(main, ["diff", "1", "7", "--db", db])
    assert out.exit_code == 2 and "no scan 7 in the history" in out.output
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database at all" * 100)
    out = CliRunner().invoke(main, ["history", "--db", str(tmp_path / "garbage.sqlite")])
    assert out.exit_code == 2 and "cannot open the history database" in out.output
    assert "Traceback" not in out.output


@pytest.mark.parametrize("url", ["mysql+nosuchdriver://x/y"])
def test_unusable_url_is_exit_2(url: str) -> None:
    out = CliRunner().invoke(main, ["history", "--db", url])
    assert out.exit_code == 2 and "Traceback" not in out.output
