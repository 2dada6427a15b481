"""Engines for the URLs the bot accepts, with the per-connection settings each database needs."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 24
SQLITE_CACHED_STATEMENTS = 8
"""Prepared statements each SQLite connection keeps (Python's default is 128). A list of ids renders one
placeholder per id, so every new list length is a new statement: with 128 each connection's cache kept
filling with them for hours (malloc'd memory outside Python +1.7 MB in a soak's first 8 minutes, against
+0.4 MB with 8, polls as fast)."""
SQLITE_FILE_MODE = 0o600
"""The database holds personal keys (encrypted) and who is who: only the bot's user may read it."""
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
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


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL (plain path or `file:` URI), None for an in-memory database."""
    if is_sqlite_memory(url):
        return None
    database = url.database or ""
    if database.startswith("file:"):
        path = unquote(urlsplit(database).path)
        return Path(path) if path and path != ":memory:" else None
    return Path(database)


def secure_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it, or tighten an existing one (with a warning).

    SQLite creates the `-wal` and `-shm` files with the database file's mode (and fchmods them to it,
    whatever the umask), so a 0600 database gives 0600 companions. Companions left by an earlier, looser
    run are tightened here too.
    """
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), SQLITE_FILE_MODE
        )
    except FileExistsError:
        _tighten(path)
    except OSError:
        return  # no such directory, no permission: SQLite says so in its own words when it connects
    else:
        try:
            os.fchmod(fd, SQLITE_FILE_MODE)  # the umask may have taken bits away from the owner
        finally:
            os.close(fd)
    for suffix in SQLITE_COMPANIONS:
        _tighten(path.with_name(path.name + suffix))


def _tighten(file: Path) -> None:
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077 == 0:
        return
    try:
        file.chmod(SQLITE_FILE_MODE)
    except OSError as exc:
        log.warning("%s can be read by others (mode %o) and could not be made 0600: %s", file, mode, exc)
        return
    log.warning("%s could be read by others (mode %o); it is now 0600", file, mode)


def _sqlite_engine(url: URL, **engine_kwargs: Any) -> Engine:
    memory = is_sqlite_memory(url)
    path = sqlite_path(url)
    if memory:
        # One connection shared by every thread, so they all see the same in-memory database;
        # the Store serialises access to it.
        engine_kwargs.setdefault("poolclass", StaticPool)
        engine_kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        # Enough kept-open connections for the bot's threads that use the database at once (the click
        # and thread-reply pools, the poll and its lanes): beyond the pool, every transaction would open
        # a connection (file checks, pragmas, the schema read) and close it again.
        engine_kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        engine_kwargs.setdefault("max_overflow", SQLITE_POOL_SIZE)
        engine_kwargs.setdefault("connect_args", {"cached_statements": SQLITE_CACHED_STATEMENTS})
    engine = create_engine(url, **engine_kwargs)

    if path is not None:

        @event.listens_for(engine, "do_connect")
        def _secure(*_args: Any) -> None:
            secure_sqlite_file(path)  # before sqlite3 opens (and so creates) the file

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
