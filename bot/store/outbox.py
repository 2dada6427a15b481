"""The outbox: Slack work that must survive a restart, claimed by one worker at a time.

`due_items` claims work by pushing its `next_attempt_at` forward by a lock period in the same
statement that selects it (with FOR UPDATE SKIP LOCKED on PostgreSQL), so concurrent workers never
get the same item, and an item whose worker died becomes due again when the lock period ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.engine import Row

from bot.store.base import StoreBase, utcnow
from bot.store.rows import MessageKind, NewOutboxItem, OutboxItem, OutboxKind
from bot.store.tables import incident_messages, incident_snapshots
from bot.store.tables import outbox as t

DEFAULT_LOCK_SECONDS = 120.0
MAX_ERROR_LENGTH = 2000
MAX_FOLDED_LINES = 100
"""Folded lines a card's row keeps: more than a card can show (it draws the newest that fit)."""


class OutboxQueries(StoreBase):
    def enqueue(self, item: NewOutboxItem, now: datetime | None = None) -> bool:
        """Queue work; False (and nothing queued) when an item with the same dedupe key exists.

        A `coalesce` item that meets its twin waiting (or in flight) marks it to be sent once more, due at
        once: its attempt count starts again, so the worker holding it does not `complete` it away.
        """
        now = now or utcnow()
        insert = self._insert(t).values(
            kind=item.kind.value,
            channel=item.channel,
            incident_id=item.incident_id,
            payload=item.payload,
            dedupe_key=item.dedupe_key,
            attempts=0,
            next_attempt_at=item.not_before or now,
            created_at=now,
            priority=item.priority,
        )
        if item.coalesce:
            stmt = insert.on_conflict_do_update(
                index_elements=[t.c.dedupe_key], set_={"attempts": 0, "next_attempt_at": now}
            ).returning(t.c.id, t.c.created_at)
            with self._write() as conn:
                row = conn.execute(stmt).first()
            return row is not None and row.created_at == now
        stmt = insert.on_conflict_do_nothing(index_elements=[t.c.dedupe_key]).returning(t.c.id)
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def due_items(
        self, now: datetime | None = None, limit: int = 50, lock_seconds: float = DEFAULT_LOCK_SECONDS
    ) -> list[OutboxItem]:
        """Claim up to `limit` due items, oldest id first; each is hidden from others for `lock_seconds`."""
        now = now or utcnow()
        due = (
            select(t.c.id)
            .where(t.c.next_attempt_at <= now)
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(limit)
        )
        return self._claim(due, now, lock_seconds)

    def complete(self, item_id: int, attempts: int | None = None) -> bool:
        """The work is done (or given up): remove it. With `attempts` (the count when it was claimed), only
        if nobody queued it again meanwhile (`enqueue(coalesce=True)`), which leaves it due once more."""
        stmt = delete(t).where(t.c.id == item_id)
        if attempts is not None:
            stmt = stmt.where(t.c.attempts == attempts)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def complete_folded(
        self, item_ids: Sequence[int], incident_id: str, channel: str, shown: Sequence[str], now: datetime
    ) -> None:
        """The thread lines of `item_ids` are on the incident's card: remember every line it shows (the
        newest `MAX_FOLDED_LINES`) and remove the items, in one transaction, so a crash can neither lose
        the lines from a later redraw nor fold them twice."""
        with self._write() as conn:
            conn.execute(
                update(incident_messages)
                .where(incident_messages.c.incident_id == incident_id, incident_messages.c.channel == channel)
                .values(folded=list(shown[-MAX_FOLDED_LINES:]), updated_at=now)
            )
            conn.execute(delete(t).where(t.c.id.in_(list(item_ids))))

    def due_channels(self, now: datetime | None = None) -> dict[str, int]:
        """Channels with due work, each with the lowest (most urgent) priority among it."""
        now = now or utcnow()
        stmt = (
            select(t.c.channel, func.min(t.c.priority))
            .where(t.c.next_attempt_at <= now)
            .group_by(t.c.channel)
        )
        with self._read() as conn:
            return {str(channel): int(priority) for channel, priority in conn.execute(stmt)}

    def depth_by_channel(self) -> dict[str, int]:
        """Items queued per channel, due or not (the send queue's depth, for metrics and /readyz)."""
        stmt = select(t.c.channel, func.count()).group_by(t.c.channel)
        with self._read() as conn:
            return {str(channel): int(count) for channel, count in conn.execute(stmt)}

    def claim_channel(
        self,
        channel: str,
        now: datetime,
        *,
        priority: int,
        incident_id: str | None = None,
        limit: int = 50,
        lock_seconds: float = DEFAULT_LOCK_SECONDS,
    ) -> list[OutboxItem]:
        """Claim a channel's due items of one priority (of one incident, if given), oldest first; each is
        hidden from others for `lock_seconds`, as `due_items` does."""
        due = select(t.c.id).where(
            t.c.channel == channel, t.c.priority == priority, t.c.next_attempt_at <= now
        )
        if incident_id is not None:
            due = due.where(t.c.incident_id == incident_id)
        due = due.order_by(t.c.id).limit(limit)
        return self._claim(due, now, lock_seconds)

    def claim_closed_waiting(
        self,
        channel: str,
        now: datetime,
        *,
        priority: int,
        queued_before: datetime,
        limit: int = 200,
        lock_seconds: float = DEFAULT_LOCK_SECONDS,
    ) -> list[OutboxItem]:
        """Claim a channel's due items of one priority queued before `queued_before` for incidents the bot
        last saw closed, oldest first (the thread lines `OutboxWorker.fold` puts on the card instead); not
        those of a storm digest's lines there, which have no card of their own to carry them."""
        closed = select(incident_snapshots.c.incident_id).where(incident_snapshots.c.closed.is_(True))
        in_digest = select(incident_messages.c.incident_id).where(
            incident_messages.c.channel == channel, incident_messages.c.kind == MessageKind.DIGEST.value
        )
        due = (
            select(t.c.id)
            .where(
                t.c.channel == channel,
                t.c.priority == priority,
                t.c.next_attempt_at <= now,
                t.c.created_at < queued_before,
                t.c.incident_id.in_(closed),
                t.c.incident_id.not_in(in_digest),
            )
            .order_by(t.c.id)
            .limit(limit)
        )
        return self._claim(due, now, lock_seconds)

    def _claim(self, due: Select[tuple[int]], now: datetime, lock_seconds: float) -> list[OutboxItem]:
        """Claim the still-due items among `due` (skipping rows another replica is claiming), id order."""
        if self.is_postgres:
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(t)
            .where(t.c.id.in_(due), t.c.next_attempt_at <= now)
            .values(attempts=t.c.attempts + 1, next_attempt_at=now + timedelta(seconds=lock_seconds))
            .returning(*t.c)
        )
        with self._write() as conn:
            claimed = [_item(row) for row in conn.execute(stmt)]
        return sorted(claimed, key=lambda item: item.id)

    def reschedule(self, item_id: int, next_at: datetime, error: str | None = None) -> bool:
        """Try again at `next_at` (see `bot.backoff`), keeping the reason the last attempt failed."""
        stmt = (
            update(t)
            .where(t.c.id == item_id)
            .values(next_attempt_at=next_at, last_error=error[:MAX_ERROR_LENGTH] if error else None)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def pending_count(self) -> int:
        """Items still queued, due or not (for metrics)."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(t)).scalar_one())


def _item(row: Row[Any]) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        kind=OutboxKind(row.kind),
        channel=row.channel,
        incident_id=row.incident_id,
        payload=row.payload,
        dedupe_key=row.dedupe_key,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        priority=row.priority,
    )
