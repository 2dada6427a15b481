"""Persistent state in SQL (SQLite by default, PostgreSQL for several replicas)."""

from bot.store.errors import StoreError, StoreUnavailableError
from bot.store.migrations import MIGRATIONS, Migration, head_version
from bot.store.rows import (
    CachedIdentity,
    MessageKind,
    MessageRow,
    MessageState,
    NewOutboxItem,
    OutboxItem,
    OutboxKind,
    PersonalKey,
    Snapshot,
)
from bot.store.store import Store

__all__ = [
    "MIGRATIONS",
    "CachedIdentity",
    "MessageKind",
    "MessageRow",
    "MessageState",
    "Migration",
    "NewOutboxItem",
    "OutboxItem",
    "OutboxKind",
    "PersonalKey",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "head_version",
]
