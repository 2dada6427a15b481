"""What every part of the store shares: the engine, short transactions, dialect-aware inserts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from bot.store.engine import SQLITE_BEGIN_OPTION
from bot.store.errors import StoreUnavailableError

T = TypeVar("T")
S = TypeVar("S")

# Bound parameters per statement stay well under SQLite's (32,766) and PostgreSQL's (65,535) limits.
CHUNK = 500

Insert = postgresql.Insert | sqlite.Insert


def utcnow() -> datetime:
    return datetime.now(UTC)


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreBase:
    """Holds the engine; every public method of the store runs in one short transaction."""

    def __init__(self, engine: Engine, *, serialize: bool = False) -> None:
        self._engine = engine
        self._write_engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._statements: dict[str, object] = {}
        # A shared in-memory SQLite connection cannot hold two transactions at once.
        self._serial: threading.RLock | None = threading.RLock() if serialize else None
        # SQLite lets one writer in at a time, and a writer that finds the file locked polls it in
        # growing sleeps (1, 2, 5, 10 … ms of busy_timeout), long after it was freed. This process's own
        # writers queue on a lock instead and go in the moment the last one commits; busy_timeout still
        # covers other processes. PostgreSQL locks rows, not the database: no such queue there.
        self._writers: threading.RLock | None = (
            threading.RLock() if engine.dialect.name == "sqlite" and not serialize else None
        )

    def _prepared(self, name: str, build: Callable[[], S]) -> S:
        """The statement `name`, built once per store and then run with bound parameters.

        Building a statement and computing its cache key costs about as much as running a small one on
        SQLite; the hot queries of a click (claims, messages, keys, identities) are built once instead.
        """
        statement = self._statements.get(name)
        if statement is None:
            statement = self._statements[name] = build()
        return cast(S, statement)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect_name == "postgresql"

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A transaction for reads (and single-statement writes that need no lock up front)."""
        with self._guard(), _translated_errors(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at BEGIN so it never has to upgrade."""
        with self._guard(), self._one_writer(), _translated_errors(), self._write_engine.begin() as conn:
            yield conn

    def _one_writer(self) -> AbstractContextManager[Any]:
        return self._writers if self._writers is not None else nullcontext()

    def _guard(self) -> AbstractContextManager[Any]:
        return self._serial if self._serial is not None else nullcontext()

    def _upsert(self, table: Table, keys: Sequence[str], values: dict[str, Any]) -> Insert:
        """INSERT `values`, or on a clash of `keys` overwrite every other column given."""
        stmt = self._insert(table).values(**values)
        return stmt.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: stmt.excluded[name] for name in values if name not in keys},
        )

    def _upsert_of(self, table: Table, keys: Sequence[str], columns: Sequence[str]) -> Insert:
        """`_upsert` for values given when it runs: on a clash of `keys`, overwrite the other `columns`."""
        stmt = self._insert(table)
        return stmt.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: stmt.excluded[name] for name in columns if name not in keys},
        )

    def _insert(self, table: Table) -> Insert:
        """An INSERT that knows ON CONFLICT for the engine in use."""
        if self.is_postgres:
            return postgresql.insert(table)
        if self.dialect_name == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"no upsert for {self.dialect_name}")


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailableError(f"The bot's database did not answer: {_first_line(exc)}") from exc
    except StatementError as exc:
        if isinstance(exc.orig, ValueError):  # a bad argument (e.g. a naive datetime) from our types
            raise exc.orig from exc
        raise


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
