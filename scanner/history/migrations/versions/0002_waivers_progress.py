"""Waivers and progress: results.waiver; scans.services_total / services_done / full.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild: rebuilding `scans` would cascade-delete results)
    op.add_column("results", sa.Column("waiver", sa.String(100), nullable=True))
    op.add_column("scans", sa.Column("services_total", sa.Integer, nullable=False,
                                     server_default="0"))
    op.add_column("scans", sa.Column("services_done", sa.Integer, nullable=False,
                                     server_default="0"))
    op.add_column("scans", sa.Column("full", sa.Boolean, nullable=False,
                                     server_default=sa.true()))
