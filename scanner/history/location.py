"""Where the history database is, and its error type: what the command line needs before it
opens the database (kept apart from `store` so that loading the CLI imports no SQLAlchemy)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "REMPART_DB"


class HistoryError(Exception):
    """The database cannot be opened or holds no such scan. `str()` is for the user."""


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rempart" / "history.sqlite"


def db_url(value: str | None = None) -> str:
    """`--db` value (or $REMPART_DB, or the default file) as an SQLAlchemy URL."""
    value = value or os.environ.get(ENV_VAR) or str(default_path())
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if "://" in value:
        return value
    path = Path(value).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
