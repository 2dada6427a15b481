"""Reminders of unacknowledged incidents: one series per card (or storm digest), one claim per step.

A series is the schedule of one Slack message's reminders; `next_due_at` says when its next step is
due (None: none is). A step is CLAIMED by inserting its row before the reminder is posted and RECORDED
with the reply's `ts` after, so each step is posted at most once across replicas and restarts; a claim
never recorded (a crash mid-send) is found by `stale_reminder_claims` and checked against Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, delete, select, update
from sqlalchemy.engine import Row

from bot.domain import Status
from bot.store.base import StoreBase, chunked, utcnow
from bot.store.rows import MessageKind, MessageState
from bot.store.tables import incident_messages as m
from bot.store.tables import incident_snapshots as s
from bot.store.tables import reminder_posts as p
from bot.store.tables import reminder_series as t


class ReminderState(StrEnum):
    CLAIMED = "claimed"  # about to be posted; the reply may or may not exist in Slack
    POSTED = "posted"  # Slack took it; `ts` is the reply's
    DROPPED = "dropped"  # Slack refused it for good (the channel is gone, say)


@dataclass(frozen=True, slots=True)
class ReminderSeries:
    """The reminders under one Slack message (an incident's card, or a storm digest)."""

    channel: str
    thread_ts: str
    route: str | None
    incidents: Mapping[str, str]
    """Incident id -> title, as first seen; a digest has many."""
    created_at: datetime
    steps_sent: int = 0
    last_sent_at: datetime | None = None
    next_due_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    snoozed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReminderClaim:
    """One step of a series that a replica claimed and never recorded."""

    channel: str
    thread_ts: str
    step: int
    claimed_by: str
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class UnremindedMessage:
    """A posted card or digest line of a still-triggered, unassigned incident that has no series yet."""

    incident_id: str
    channel: str
    ts: str
    kind: MessageKind


class ReminderQueries(StoreBase):
    def unreminded_messages(self, channels: Sequence[str], limit: int = 500) -> list[UnremindedMessage]:
        """Posted messages in `channels` of triggered, unassigned, open incidents with no series yet."""
        if not channels:
            return []
        joined = m.join(s, s.c.incident_id == m.c.incident_id).outerjoin(
            t, and_(t.c.channel == m.c.channel, t.c.thread_ts == m.c.ts)
        )
        stmt = (
            select(m.c.incident_id, m.c.channel, m.c.ts, m.c.kind)
            .select_from(joined)
            .where(
                m.c.state == MessageState.POSTED.value,
                m.c.channel.in_(list(channels)),
                m.c.ts.is_not(None),
                t.c.channel.is_(None),
                s.c.closed.is_(False),
                s.c.status == Status.TRIGGERED.value,
                s.c.assignee.is_(None),
            )
            .order_by(m.c.posted_at)
            .limit(limit)
        )
        with self._read() as conn:
            return [
                UnremindedMessage(row.incident_id, row.channel, row.ts, MessageKind(row.kind))
                for row in conn.execute(stmt)
            ]

    def add_reminder_series(self, series: Iterable[ReminderSeries], now: datetime | None = None) -> int:
        """Start these series unless a series of the same message exists; returns how many were new."""
        now = now or utcnow()
        rows = [_params(item, now) for item in series]
        added = 0
        for chunk in chunked(rows):
            stmt = (
                self._insert(t)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=[t.c.channel, t.c.thread_ts])
                .returning(t.c.channel)
            )
            with self._write() as conn:
                added += len(conn.execute(stmt).all())
        return added

    def reminder_series(self, channel: str, thread_ts: str) -> ReminderSeries | None:
        stmt = select(t).where(t.c.channel == channel, t.c.thread_ts == thread_ts)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return _series(row) if row is not None else None

    def due_reminders(self, now: datetime, limit: int = 2000) -> list[ReminderSeries]:
        """Series whose next step is due, the longest overdue first."""
        stmt = select(t).where(t.c.next_due_at <= now).order_by(t.c.next_due_at).limit(limit)
        with self._read() as conn:
            return [_series(row) for row in conn.execute(stmt)]

    def claim_reminder(self, channel: str, thread_ts: str, step: int, replica_id: str, now: datetime) -> bool:
        """True only for the one caller whose claim created the step's row: only it may post the step."""
        stmt = (
            self._insert(p)
            .values(
                channel=channel,
                thread_ts=thread_ts,
                step=step,
                state=ReminderState.CLAIMED.value,
                claimed_by=replica_id,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=[p.c.channel, p.c.thread_ts, p.c.step])
            .returning(p.c.step)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    def record_reminder(
        self,
        channel: str,
        thread_ts: str,
        step: int,
        ts: str,
        *,
        now: datetime,
        next_due_at: datetime | None,
    ) -> None:
        """Slack took step `step` (its reply is `ts`): the series moves on to its next step, if any."""
        with self._write() as conn:
            conn.execute(
                update(p)
                .where(p.c.channel == channel, p.c.thread_ts == thread_ts, p.c.step == step)
                .values(state=ReminderState.POSTED.value, ts=ts, posted_at=now)
            )
            conn.execute(
                update(t)
                .where(t.c.channel == channel, t.c.thread_ts == thread_ts, t.c.steps_sent < step)
                .values(
                    steps_sent=step,
                    last_sent_at=now,
                    next_due_at=_not_before_snooze(next_due_at),
                    updated_at=now,
                )
            )

    def release_reminder(self, channel: str, thread_ts: str, step: int) -> bool:
        """Forget a claim whose post Slack certainly did not keep, so the step may be tried again."""
        stmt = delete(p).where(
            p.c.channel == channel,
            p.c.thread_ts == thread_ts,
            p.c.step == step,
            p.c.state == ReminderState.CLAIMED.value,
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def drop_reminder(self, channel: str, thread_ts: str, step: int, now: datetime) -> None:
        """Slack refused the step for good: it stays unsent, and the series ends."""
        with self._write() as conn:
            conn.execute(
                update(p)
                .where(p.c.channel == channel, p.c.thread_ts == thread_ts, p.c.step == step)
                .values(state=ReminderState.DROPPED.value)
            )
            conn.execute(_finish(channel, thread_ts, now))

    def finish_reminders(self, channel: str, thread_ts: str, now: datetime | None = None) -> bool:
        """No more reminders for this message (acknowledged, assigned, resolved, closed or route gone);
        True for the one caller that ended the series (it was still running)."""
        stmt = _finish(channel, thread_ts, now or utcnow()).where(t.c.next_due_at.is_not(None))
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def reminded_and_running(self, limit: int = 500) -> list[ReminderSeries]:
        """Running series with a reminder already posted: the ones whose Snooze button shows in Slack."""
        stmt = (
            select(t)
            .where(t.c.next_due_at.is_not(None), t.c.steps_sent > 0)
            .order_by(t.c.next_due_at)
            .limit(limit)
        )
        with self._read() as conn:
            return [_series(row) for row in conn.execute(stmt)]

    def snooze_reminders(
        self, channel: str, thread_ts: str, until: datetime, by: str, now: datetime
    ) -> ReminderSeries | None:
        """Hold the series' next step until `until` at least, recording who snoozed; None when the series
        has no step left to hold (finished, or unknown)."""
        stmt = (
            update(t)
            .where(t.c.channel == channel, t.c.thread_ts == thread_ts, t.c.next_due_at.is_not(None))
            .values(
                snoozed_until=until,
                snoozed_by=by,
                snoozed_at=now,
                next_due_at=case((t.c.next_due_at < until, until), else_=t.c.next_due_at),
                updated_at=now,
            )
        )
        with self._write() as conn:
            if conn.execute(stmt).rowcount != 1:
                return None
            row = conn.execute(select(t).where(t.c.channel == channel, t.c.thread_ts == thread_ts)).first()
        return _series(row) if row is not None else None

    def stale_reminder_claims(self, older_than: datetime) -> list[ReminderClaim]:
        """Steps claimed and never recorded: the replica that claimed them died or hung mid-send."""
        stmt = (
            select(p)
            .where(p.c.state == ReminderState.CLAIMED.value, p.c.claimed_at < older_than)
            .order_by(p.c.claimed_at)
        )
        with self._read() as conn:
            return [
                ReminderClaim(row.channel, row.thread_ts, row.step, row.claimed_by, row.claimed_at)
                for row in conn.execute(stmt)
            ]

    def reclaim_reminder(
        self, claim: ReminderClaim, replica_id: str, older_than: datetime, now: datetime
    ) -> bool:
        """Take over a stale claim (once: the claim's time moves on); True when this caller won it."""
        stmt = (
            update(p)
            .where(
                p.c.channel == claim.channel,
                p.c.thread_ts == claim.thread_ts,
                p.c.step == claim.step,
                p.c.state == ReminderState.CLAIMED.value,
                p.c.claimed_at < older_than,
            )
            .values(claimed_by=replica_id, claimed_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def prune_reminders(self) -> int:
        """Forget the series (and steps) of messages the store no longer has (pruned with their closed
        incident): with no message left, nothing can start them again. Returns how many series went."""
        gone = ~select(m.c.ts).where(m.c.channel == t.c.channel, m.c.ts == t.c.thread_ts).exists()
        with self._write() as conn:
            conn.execute(
                delete(p).where(
                    ~select(m.c.ts).where(m.c.channel == p.c.channel, m.c.ts == p.c.thread_ts).exists()
                )
            )
            return int(conn.execute(delete(t).where(gone)).rowcount)

    def reminder_steps(self, channel: str, thread_ts: str) -> dict[int, ReminderState]:
        """Every step of a series with its state (for tests and the bench)."""
        stmt = select(p.c.step, p.c.state).where(p.c.channel == channel, p.c.thread_ts == thread_ts)
        with self._read() as conn:
            return {row.step: ReminderState(row.state) for row in conn.execute(stmt)}


def _not_before_snooze(due: datetime | None) -> Any:
    """A snooze recorded while the step was in flight still holds the next one."""
    if due is None:
        return None
    return case((t.c.snoozed_until > due, t.c.snoozed_until), else_=due)


def _finish(channel: str, thread_ts: str, now: datetime) -> Any:
    return (
        update(t)
        .where(t.c.channel == channel, t.c.thread_ts == thread_ts)
        .values(next_due_at=None, updated_at=now)
    )


def _params(series: ReminderSeries, now: datetime) -> dict[str, Any]:
    return {
        "channel": series.channel,
        "thread_ts": series.thread_ts,
        "route": series.route,
        "incidents": dict(series.incidents),
        "created_at": series.created_at,
        "steps_sent": series.steps_sent,
        "last_sent_at": series.last_sent_at,
        "next_due_at": series.next_due_at,
        "snoozed_until": series.snoozed_until,
        "snoozed_by": series.snoozed_by,
        "snoozed_at": series.snoozed_at,
        "updated_at": now,
    }


def _series(row: Row[Any]) -> ReminderSeries:
    return ReminderSeries(
        channel=row.channel,
        thread_ts=row.thread_ts,
        route=row.route,
        incidents={str(k): str(v) for k, v in (row.incidents or {}).items()},
        created_at=row.created_at,
        steps_sent=row.steps_sent,
        last_sent_at=row.last_sent_at,
        next_due_at=row.next_due_at,
        snoozed_until=row.snoozed_until,
        snoozed_by=row.snoozed_by,
        snoozed_at=row.snoozed_at,
    )
