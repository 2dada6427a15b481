"""Slack events already taken: one row per `event_id`, so a retried event is handled once, on any replica.

Slack delivers an event again (`X-Slack-Retry-Num`, or a Socket Mode envelope's `retry_attempt`) when
it did not see the first delivery acknowledged in time; the retry carries the same `event_id`. Whoever
inserts the row first does the work; a failed handling gives the row back, so a later retry may do it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete

from bot.store.base import StoreBase, utcnow
from bot.store.tables import slack_events as t

EVENT_MEMORY = timedelta(days=1)
"""How long a taken event is remembered: Slack retries within the hour, three times at most."""

_FORGET = delete(t).where(t.c.event_id == bindparam("b_event"))


class EventQueries(StoreBase):
    def take_event(self, event_id: str, now: datetime | None = None) -> bool:
        """True when this caller is the first to take `event_id` (and must handle it); False for a repeat."""
        stmt = self._prepared(
            "take_event",
            lambda: (
                self._insert(t)
                .values(
                    event_id=bindparam("b_event"), received_at=bindparam("b_now", type_=t.c.received_at.type)
                )
                .on_conflict_do_nothing(index_elements=[t.c.event_id])
                .returning(t.c.event_id)
            ),
        )
        with self._write() as conn:
            taken = conn.execute(stmt, {"b_event": event_id, "b_now": now or utcnow()}).first()
        return taken is not None

    def give_back_event(self, event_id: str) -> None:
        """Forget `event_id` (its handling failed), so that Slack's next retry of it is handled."""
        with self._write() as conn:
            conn.execute(_FORGET, {"b_event": event_id})
