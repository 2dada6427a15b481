"""The one repository the rest of the bot uses, built from a database URL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text

from bot.store.base import utcnow
from bot.store.claims import ActionClaimQueries
from bot.store.cursors import CursorQueries
from bot.store.engine import create_store_engine, is_sqlite_memory, normalize_url
from bot.store.events import EventQueries
from bot.store.leases import LeaseQueries
from bot.store.messages import MessageQueries
from bot.store.migrations import MIGRATIONS, Migration, current_version, upgrade
from bot.store.outbox import OutboxQueries
from bot.store.reminders import ReminderQueries
from bot.store.reports import ReportQueries
from bot.store.retention import RetentionQueries
from bot.store.rooms import RoomQueries
from bot.store.snapshots import SnapshotQueries
from bot.store.sweeps import SweepQueries
from bot.store.unfurls import UnfurlQueries
from bot.store.users import UserQueries


class Store(
    MessageQueries,
    SnapshotQueries,
    SweepQueries,
    CursorQueries,
    LeaseQueries,
    OutboxQueries,
    UserQueries,
    ActionClaimQueries,
    RetentionQueries,
    EventQueries,
    ReportQueries,
    ReminderQueries,
    RoomQueries,
    UnfurlQueries,
):
    """The bot's persistent state on SQLite or PostgreSQL; every method is one short transaction."""

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Store:
        """`sqlite:///path.db`, `sqlite://` (memory) or `postgresql+psycopg://user@host/db`.

        Connects lazily: nothing touches the database until the first call.
        """
        parsed = normalize_url(url)
        return cls(create_store_engine(parsed, **engine_kwargs), serialize=is_sqlite_memory(parsed))

    def create_schema(
        self, now: datetime | None = None, migrations: Sequence[Migration] = MIGRATIONS
    ) -> list[int]:
        """Create or upgrade the schema; safe to call on every start. Returns the versions applied."""
        with self._write() as conn:
            return upgrade(conn, now or utcnow(), migrations)

    def schema_version(self) -> int | None:
        with self._read() as conn:
            return current_version(conn)

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the database answers a trivial query."""
        with self._read() as conn:
            conn.execute(text("SELECT 1")).scalar_one()

    def close(self) -> None:
        """Close pooled connections; the Store must not be used afterwards."""
        self._engine.dispose()
