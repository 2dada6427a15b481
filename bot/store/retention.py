"""Forgetting what the bot no longer needs: closed incidents, stale caches, expired claims, dead outbox items.

Each kind is deleted in small batches (one short transaction each), so pruning never holds a lock long
enough to slow a poll or a click. A closed incident goes only once its cards are final: while the outbox
still holds an item for it (the closing redraw, a thread line), its snapshot and messages stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.sql.elements import ColumnElement

from bot.store.base import StoreBase
from bot.store.events import EVENT_MEMORY
from bot.store.rows import MessageKind
from bot.store.tables import (
    action_claims,
    identity_cache,
    incident_messages,
    incident_snapshots,
    link_unfurls,
    outbox,
    response_times,
    slack_events,
    war_rooms,
)

PRUNE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows of each kind one pruning removed."""

    closed_incidents: int = 0
    identities: int = 0
    outbox_items: int = 0
    action_claims: int = 0
    slack_events: int = 0

    @property
    def total(self) -> int:
        kinds = (
            self.closed_incidents,
            self.identities,
            self.outbox_items,
            self.action_claims,
            self.slack_events,
        )
        return sum(kinds)


def _in_live_digest() -> ColumnElement[bool]:
    """The incident is a line of a storm digest that still has an open member: the digest is redrawn from
    its members' rows, so its closed lines stay until every one is closed (its count never shrinks)."""
    member, sibling = incident_messages.alias("member"), incident_messages.alias("sibling")
    sibling_state = incident_snapshots.alias("sibling_state")
    open_sibling = (
        select(sibling.c.incident_id)
        .join(sibling_state, sibling_state.c.incident_id == sibling.c.incident_id)
        .where(
            sibling.c.channel == member.c.channel,
            sibling.c.ts == member.c.ts,
            sibling_state.c.closed.is_(False),
        )
        .exists()
    )
    return (
        select(member.c.incident_id)
        .where(
            member.c.incident_id == incident_snapshots.c.incident_id,
            member.c.kind == MessageKind.DIGEST.value,
            open_sibling,
        )
        .exists()
    )


class RetentionQueries(StoreBase):
    def prune_older_than(
        self,
        cutoff: datetime,
        now: datetime,
        *,
        batch: int = PRUNE_BATCH,
        others_cutoff: datetime | None = None,
    ) -> Pruned:
        """Closed incidents last changed before `cutoff` whose cards are final (snapshot, messages, war room
        record, cached response times), identity answers and outbox items older than `others_cutoff`
        (default `cutoff`), action claims expired by `now`, and Slack events taken over a day before `now`."""
        snaps = incident_snapshots
        closed = 0
        pending = select(outbox.c.id).where(outbox.c.incident_id == snaps.c.incident_id).exists()
        final = and_(snaps.c.closed.is_(True), snaps.c.updated_at < cutoff, ~pending, ~_in_live_digest())
        while ids := self._keys(snaps.c.incident_id, final, batch):
            with self._write() as conn:  # checked again inside: a poll may have queued work since
                ids = list(
                    conn.execute(
                        select(snaps.c.incident_id).where(snaps.c.incident_id.in_(ids), final)
                    ).scalars()
                )
                conn.execute(delete(incident_messages).where(incident_messages.c.incident_id.in_(ids)))
                conn.execute(delete(war_rooms).where(war_rooms.c.incident_id.in_(ids)))  # the record only
                conn.execute(delete(link_unfurls).where(link_unfurls.c.incident_id.in_(ids)))
                conn.execute(delete(response_times).where(response_times.c.incident_id.in_(ids)))
                closed += conn.execute(delete(snaps).where(snaps.c.incident_id.in_(ids))).rowcount
        others = cutoff if others_cutoff is None else others_cutoff
        cache = identity_cache
        identities = self._drain(cache, cache.c.slack_user_id, cache.c.fetched_at < others, batch)
        items = self._drain(outbox, outbox.c.id, outbox.c.created_at < others, batch)
        with self._write() as conn:
            claims = conn.execute(delete(action_claims).where(action_claims.c.expires_at <= now)).rowcount
        events = self._drain(
            slack_events, slack_events.c.event_id, slack_events.c.received_at < now - EVENT_MEMORY, batch
        )
        return Pruned(closed, identities, items, claims, events)

    def _keys(self, key: ColumnElement[Any], condition: ColumnElement[bool], batch: int) -> list[Any]:
        with self._read() as conn:
            return list(conn.execute(select(key).where(condition).limit(batch)).scalars())

    def _drain(
        self, table: Table, key: ColumnElement[Any], condition: ColumnElement[bool], batch: int
    ) -> int:
        removed = 0
        while keys := self._keys(key, condition, batch):
            with self._write() as conn:
                removed += conn.execute(delete(table).where(key.in_(keys))).rowcount
        return removed
