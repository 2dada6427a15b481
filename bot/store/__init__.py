"""Persistent state in SQL (SQLite by default, PostgreSQL for several replicas)."""
