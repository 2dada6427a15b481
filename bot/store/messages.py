"""Incident messages: at most one Slack message per incident and channel, across replicas.

A replica CLAIMS the (incident, channel) row before it posts, and RECORDS the message's `ts`
after Slack accepted it. Only the replica whose claim inserted the row posts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Row

from bot.store.base import StoreBase, chunked, unique, utcnow
from bot.store.rows import MessageKind, MessageRow, MessageState
from bot.store.tables import incident_messages as t

_AT = (
    select(t)
    .where(t.c.channel == bindparam("b_channel"), t.c.ts == bindparam("b_ts"))
    .order_by(t.c.incident_id)
)
_FOR = select(t).where(t.c.incident_id == bindparam("b_incident")).order_by(t.c.channel)


class MessageQueries(StoreBase):
    def claim_message(
        self, incident_id: str, channel: str, replica_id: str, now: datetime | None = None
    ) -> bool:
        """True only for the one caller whose claim created the row; everyone else must not post."""
        now = now or utcnow()
        stmt = (
            self._insert(t)
            .values(
                incident_id=incident_id,
                channel=channel,
                state=MessageState.CLAIMED.value,
                claimed_by=replica_id,
                claimed_at=now,
                event_count=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[t.c.incident_id, t.c.channel])
            .returning(t.c.incident_id)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def claim_messages(
        self, pairs: Iterable[tuple[str, str]], replica_id: str, now: datetime | None = None
    ) -> set[tuple[str, str]]:
        """`claim_message` for many (incident_id, channel) pairs in one statement; returns those won."""
        now = now or utcnow()
        rows = [
            {
                "incident_id": incident_id,
                "channel": channel,
                "state": MessageState.CLAIMED.value,
                "claimed_by": replica_id,
                "claimed_at": now,
                "event_count": 0,
                "updated_at": now,
            }
            for incident_id, channel in dict.fromkeys(pairs)
        ]
        won: set[tuple[str, str]] = set()
        for chunk in chunked(rows):
            stmt = (
                self._insert(t)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=[t.c.incident_id, t.c.channel])
                .returning(t.c.incident_id, t.c.channel)
            )
            with self._write() as conn:
                won.update((row.incident_id, row.channel) for row in conn.execute(stmt))
        return won

    def reclaim_stale(
        self,
        incident_id: str,
        channel: str,
        replica_id: str,
        older_than: datetime,
        now: datetime | None = None,
    ) -> bool:
        """Take over a claim left by a replica that died between claiming and recording; True if won."""
        now = now or utcnow()
        stmt = (
            update(t)
            .where(
                t.c.incident_id == incident_id,
                t.c.channel == channel,
                t.c.state == MessageState.CLAIMED.value,
                t.c.claimed_at < older_than,
            )
            .values(claimed_by=replica_id, claimed_at=now, updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def record_posted(  # noqa: PLR0917 - the positional order callers were promised
        self,
        incident_id: str,
        channel: str,
        ts: str,
        thread_ts: str | None,
        fingerprint: str | None,
        now: datetime | None = None,
        *,
        event_count: int | None = None,
        last_event_id: str | None = None,
        kind: MessageKind = MessageKind.CARD,
    ) -> None:
        """Slack accepted the message: keep its ts (creating the row if the claim has gone meanwhile)."""
        now = now or utcnow()
        values: dict[str, Any] = {
            "state": MessageState.POSTED.value,
            "kind": kind.value,
            "ts": ts,
            "thread_ts": thread_ts,
            "fingerprint": fingerprint,
            "posted_at": now,
            "updated_at": now,
        }
        if event_count is not None:
            values["event_count"] = event_count
        if last_event_id is not None:
            values["last_event_id"] = last_event_id
        stmt = self._insert(t).values(
            incident_id=incident_id,
            channel=channel,
            claimed_at=now,
            **{"event_count": 0, **values},
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.incident_id, t.c.channel],
            set_={name: stmt.excluded[name] for name in values},
        )
        with self._write() as conn:
            conn.execute(stmt)

    def release_claim(self, incident_id: str, channel: str, replica_id: str | None = None) -> bool:
        """Forget a claim whose post failed before Slack got it, so a later poll may try again.

        A recorded (posted) message is never removed. With `replica_id`, only that replica's claim goes.
        """
        stmt = delete(t).where(
            t.c.incident_id == incident_id,
            t.c.channel == channel,
            t.c.state == MessageState.CLAIMED.value,
        )
        if replica_id is not None:
            stmt = stmt.where(t.c.claimed_by == replica_id)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def message(self, incident_id: str, channel: str) -> MessageRow | None:
        stmt = select(t).where(t.c.incident_id == incident_id, t.c.channel == channel)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return _message(row) if row is not None else None

    def message_by_ts(self, channel: str, ts: str) -> MessageRow | None:
        """The incident message a Slack message (e.g. the one a button was clicked on) belongs to."""
        stmt = select(t).where(t.c.channel == channel, t.c.ts == ts)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return _message(row) if row is not None else None

    def messages_at(self, channel: str, ts: str) -> list[MessageRow]:
        """Every incident whose message in `channel` is the one at `ts` (several for a storm digest)."""
        with self._read() as conn:
            return [_message(row) for row in conn.execute(_AT, {"b_channel": channel, "b_ts": ts})]

    def messages_for(self, incident_id: str) -> list[MessageRow]:
        with self._read() as conn:
            return [_message(row) for row in conn.execute(_FOR, {"b_incident": incident_id})]

    def messages_for_incidents(self, incident_ids: Iterable[str]) -> dict[str, list[MessageRow]]:
        """Messages of many incidents in a few queries; incidents with none are absent."""
        found: dict[str, list[MessageRow]] = {}
        with self._read() as conn:
            for batch in chunked(unique(incident_ids)):
                stmt = select(t).where(t.c.incident_id.in_(batch)).order_by(t.c.incident_id, t.c.channel)
                for row in conn.execute(stmt):
                    found.setdefault(row.incident_id, []).append(_message(row))
        return found

    def stale_claims(self, older_than: datetime) -> list[MessageRow]:
        """Claims never recorded (a replica crashed or Slack hung between claim and record)."""
        stmt = (
            select(t)
            .where(t.c.state == MessageState.CLAIMED.value, t.c.claimed_at < older_than)
            .order_by(t.c.claimed_at)
        )
        with self._read() as conn:
            return [_message(row) for row in conn.execute(stmt)]

    def set_message_fingerprint(
        self, incident_id: str, channel: str, fingerprint: str, now: datetime | None = None
    ) -> bool:
        """Remember what the card now shows, after a successful `chat.update`."""
        return self._update_message(incident_id, channel, now, fingerprint=fingerprint)

    def set_message_events(
        self,
        incident_id: str,
        channel: str,
        event_count: int,
        last_event_id: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Remember how far the message's thread has followed the incident's events."""
        return self._update_message(
            incident_id, channel, now, event_count=event_count, last_event_id=last_event_id
        )

    def _update_message(self, incident_id: str, channel: str, now: datetime | None, **values: Any) -> bool:
        stmt = (
            update(t)
            .where(t.c.incident_id == incident_id, t.c.channel == channel)
            .values(updated_at=now or utcnow(), **values)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1


def _message(row: Row[Any]) -> MessageRow:
    return MessageRow(
        incident_id=row.incident_id,
        channel=row.channel,
        state=MessageState(row.state),
        ts=row.ts,
        thread_ts=row.thread_ts,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        posted_at=row.posted_at,
        fingerprint=row.fingerprint,
        event_count=row.event_count,
        last_event_id=row.last_event_id,
        updated_at=row.updated_at,
        kind=MessageKind(row.kind),
        folded=tuple(str(line) for line in row.folded or ()),
    )
