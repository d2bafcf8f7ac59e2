"""Opening the history skips Alembic when the database is already at the newest revision
(storing each scan must not load Alembic), and only then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from scanner.history.store import HEAD, alembic_config, at_head, make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]


def test_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_at_head_only_for_a_database_at_the_newest_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite'}")
    try:
        with engine.connect() as conn:
            assert not at_head(conn)  # empty: no version table yet
        migrate(engine, "0001")
        with engine.connect() as conn:
            assert not at_head(conn)
        migrate(engine)
        with engine.connect() as conn:
            assert at_head(conn)
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version == HEAD
    finally:
        engine.dispose()


def _open_in_a_fresh_interpreter(db: Path) -> str:
    code = ("import sys; from scanner.history.store import open_store\n"
            f"with open_store({str(db)!r}) as store: store.scans()\n"
            "print('alembic' in sys.modules)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True).stdout.strip()


def test_alembic_is_loaded_to_migrate_and_not_to_open_an_up_to_date_database(
        tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine, "0001")
    engine.dispose()
    assert _open_in_a_fresh_interpreter(db) == "True"  # 0001 -> HEAD: Alembic migrates
    plain = create_engine(f"sqlite:///{db}")
    with plain.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    plain.dispose()
    assert _open_in_a_fresh_interpreter(db) == "False"  # at HEAD: no Alembic
