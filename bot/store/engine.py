"""Engines for the URLs the bot accepts, with the per-connection settings each database needs."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10

# Execution option read by the SQLite "begin" hook: "IMMEDIATE" takes the write lock up front.
SQLITE_BEGIN_OPTION = "bot_sqlite_begin"


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; plain `postgresql://` and `postgres://` mean psycopg 3, the driver we ship."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite_memory(url: URL) -> bool:
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def create_store_engine(url: str | URL, **engine_kwargs: Any) -> Engine:
    """An engine for SQLite (file or memory) or PostgreSQL, configured for the store."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, **engine_kwargs)
    if backend == "postgresql":
        connect_args = {
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
            **engine_kwargs.pop("connect_args", {}),
        }
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **engine_kwargs)
    raise ValueError(f"unsupported database {backend!r}: use a sqlite:/// or postgresql+psycopg:// URL")


def _sqlite_engine(url: URL, **engine_kwargs: Any) -> Engine:
    memory = is_sqlite_memory(url)
    if memory:
        # One connection shared by every thread, so they all see the same in-memory database;
        # the Store serialises access to it.
        engine_kwargs.setdefault("poolclass", StaticPool)
        engine_kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(url, **engine_kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN happens when we say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_BEGIN_OPTION) == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch a file database to WAL once (the mode is stored in the file).

    The switch needs an exclusive lock and SQLite does not wait for it (busy_timeout does not
    apply), so when several connections open a new file at once, retry for a while. A file that
    cannot use WAL (some network file systems) keeps its journal mode.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if _journal_mode(cursor, "PRAGMA journal_mode") == "wal":
                return
            if _journal_mode(cursor, "PRAGMA journal_mode = WAL") == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)


def _journal_mode(cursor: sqlite3.Cursor, pragma: str) -> str:
    row = cursor.execute(pragma).fetchone()
    return str(row[0]).lower() if row else ""
