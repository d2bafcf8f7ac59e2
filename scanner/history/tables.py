"""The history tables, as the latest migration leaves them (queries use these)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inventory", String(500), nullable=False, index=True),  # inventory path or (targets)
    Column("customer", String(500), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("tool_version", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # complete | interrupted
    Column("result", Text, nullable=False),  # the JSON result, as `rempart report` reads it
    # added by 0002
    Column("services_total", Integer, nullable=False, server_default="0"),
    Column("services_done", Integer, nullable=False, server_default="0"),
    Column("full", Boolean, nullable=False, server_default="1"),
)

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", Integer, ForeignKey("scans.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("rule_id", String(100), nullable=False),
    Column("service", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("message", Text, nullable=False),
    # added by 0002
    Column("waiver", String(100), nullable=True),
)
