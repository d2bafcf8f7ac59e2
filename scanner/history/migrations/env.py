"""Alembic environment: always run with a connection handed over by scanner.history.store."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
if connection.dialect.name == "postgresql":  # one migrator at a time across processes
    connection.execute(text("SELECT pg_advisory_xact_lock(727465)"))
with context.begin_transaction():
    context.run_migrations()
