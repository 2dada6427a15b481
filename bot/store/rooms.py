"""War rooms: at most one Slack channel per incident, across replicas.

The first click CLAIMS the incident's row (state `creating`) and only that caller asks Slack for the
channel; every other click, on any replica, finds the row and joins the room once it is `open`. The
room's card is claimed the same way (`claimed_at` on an open row whose card is not posted yet), so a
card that failed to post is posted again by a later click, once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Row

from bot.store.base import StoreBase, utcnow
from bot.store.rows import RoomRow, RoomState
from bot.store.tables import incident_messages
from bot.store.tables import war_rooms as t

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
"""A released claim's time: older than any `stale_before`, so the next caller takes it at once."""


class RoomQueries(StoreBase):
    def claim_room(
        self,
        incident_id: str,
        opened_by: str,
        replica_id: str,
        *,
        stale_before: datetime,
        now: datetime | None = None,
    ) -> RoomRow | None:
        """None when this caller must create the room; else the incident's room as it stands.

        A `creating` claim older than `stale_before` belongs to a replica that died mid-way: taken over.
        """
        now = now or utcnow()
        claim = (
            self._insert(t)
            .values(
                incident_id=incident_id,
                state=RoomState.CREATING.value,
                opened_by=opened_by,
                claimed_by=replica_id,
                claimed_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[t.c.incident_id])
            .returning(t.c.incident_id)
        )
        take_over = (
            update(t)
            .where(
                t.c.incident_id == incident_id,
                t.c.state == RoomState.CREATING.value,
                t.c.claimed_at < stale_before,
            )
            .values(opened_by=opened_by, claimed_by=replica_id, claimed_at=now, updated_at=now)
        )
        with self._write() as conn:
            if conn.execute(claim).first() is not None:
                return None
            if conn.execute(take_over).rowcount == 1:
                return None
            row = conn.execute(select(t).where(t.c.incident_id == incident_id)).first()
        assert row is not None  # rows are never deleted while a claim could race them
        return _room(row)

    def room(self, incident_id: str) -> RoomRow | None:
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.incident_id == incident_id)).first()
        return _room(row) if row is not None else None

    def room_in_channel(self, channel: str) -> RoomRow | None:
        """The war room a channel is, if it is one."""
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.channel == channel)).first()
        return _room(row) if row is not None else None

    def room_opened(
        self, incident_id: str, replica_id: str, channel: str, name: str, now: datetime | None = None
    ) -> bool:
        """Slack created the channel: the room is open, and its creator now holds the card's claim."""
        now = now or utcnow()
        stmt = (
            update(t)
            .where(
                t.c.incident_id == incident_id,
                t.c.state == RoomState.CREATING.value,
                t.c.claimed_by == replica_id,
            )
            .values(state=RoomState.OPEN.value, channel=channel, name=name, claimed_at=now, updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release_room(self, incident_id: str, replica_id: str) -> bool:
        """Creating the channel failed: forget the claim so that the next click tries again."""
        stmt = delete(t).where(
            t.c.incident_id == incident_id,
            t.c.state == RoomState.CREATING.value,
            t.c.claimed_by == replica_id,
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def claim_room_card(
        self, incident_id: str, replica_id: str, *, stale_before: datetime, now: datetime | None = None
    ) -> bool:
        """True for the one caller who may post the card of an open room that has none yet."""
        now = now or utcnow()
        stmt = (
            update(t)
            .where(
                t.c.incident_id == incident_id,
                t.c.state == RoomState.OPEN.value,
                t.c.card_ts.is_(None),
                t.c.claimed_at < stale_before,
            )
            .values(claimed_by=replica_id, claimed_at=now, updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def room_card_posted(self, incident_id: str, ts: str, now: datetime | None = None) -> None:
        stmt = update(t).where(t.c.incident_id == incident_id).values(card_ts=ts, updated_at=now or utcnow())
        with self._write() as conn:
            conn.execute(stmt)

    def release_room_card(self, incident_id: str, replica_id: str) -> None:
        """Posting the card failed: the next click may try at once."""
        stmt = (
            update(t)
            .where(t.c.incident_id == incident_id, t.c.claimed_by == replica_id, t.c.card_ts.is_(None))
            .values(claimed_at=_LONG_AGO)
        )
        with self._write() as conn:
            conn.execute(stmt)

    def start_archive(self, incident_id: str, slack_id: str, now: datetime | None = None) -> bool:
        """True for the one caller who archives the open room; everyone else is told it is done."""
        stmt = (
            update(t)
            .where(t.c.incident_id == incident_id, t.c.state == RoomState.OPEN.value)
            .values(state=RoomState.ARCHIVED.value, archived_by=slack_id, updated_at=now or utcnow())
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def undo_archive(self, incident_id: str, now: datetime | None = None) -> None:
        """Slack refused to archive: the room is open again."""
        stmt = (
            update(t)
            .where(t.c.incident_id == incident_id, t.c.state == RoomState.ARCHIVED.value)
            .values(state=RoomState.OPEN.value, archived_by=None, updated_at=now or utcnow())
        )
        with self._write() as conn:
            conn.execute(stmt)

    def room_archived(self, incident_id: str, channel: str) -> None:
        """The channel is archived: its card is no longer tracked (Slack refuses edits there)."""
        m = incident_messages
        with self._write() as conn:
            conn.execute(delete(m).where(and_(m.c.incident_id == incident_id, m.c.channel == channel)))


def _room(row: Row[Any]) -> RoomRow:
    return RoomRow(
        incident_id=row.incident_id,
        state=RoomState(row.state),
        channel=row.channel,
        name=row.name,
        opened_by=row.opened_by,
        card_ts=row.card_ts,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        archived_by=row.archived_by,
        updated_at=row.updated_at,
    )
