"""Scan history: every scan stored in a database (SQLite by default, PostgreSQL for teams)."""
