"""Shift reports: response times read from Coralogix events (a cache), and one row per scheduled report.

The cache holds one row per incident, valid while the incident's version (its last state update) is the
one it was read at; a closed incident no longer changes, so its row is final. A report run is claimed
(INSERT on its primary key: route, channel, run time) before it is posted, so exactly one replica posts
it, once, whatever restarts in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.store.base import StoreBase, chunked
from bot.store.tables import report_runs as runs
from bot.store.tables import report_schedules as schedules
from bot.store.tables import response_times as times

RUN_CLAIMED = "claimed"
RUN_POSTED = "posted"


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """One incident's response times as read from its events at `version`."""

    incident_id: str
    version: str
    closed: bool
    started_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    retriggers: int
    ack_unknown: bool
    resolve_unknown: bool


@dataclass(frozen=True, slots=True)
class ReportRun:
    route: str
    channel: str
    run_at: datetime
    state: str
    claimed_by: str
    claimed_at: datetime
    ts: str | None
    posted_at: datetime | None
    late: bool


class ReportQueries(StoreBase):
    # ------------------------------------------------------------------------------ response times

    def cached_responses(self, incident_ids: Sequence[str]) -> dict[str, CachedResponse]:
        """The cached rows of these incidents (whatever their version; the caller compares)."""
        found: dict[str, CachedResponse] = {}
        with self._read() as conn:
            for chunk in chunked(list(dict.fromkeys(incident_ids))):
                for row in conn.execute(select(times).where(times.c.incident_id.in_(chunk))).mappings():
                    found[row["incident_id"]] = CachedResponse(
                        incident_id=row["incident_id"],
                        version=row["version"],
                        closed=row["closed"],
                        started_at=row["started_at"],
                        acknowledged_at=row["acknowledged_at"],
                        acknowledged_by=row["acknowledged_by"],
                        resolved_at=row["resolved_at"],
                        retriggers=row["retriggers"],
                        ack_unknown=row["ack_unknown"],
                        resolve_unknown=row["resolve_unknown"],
                    )
        return found

    def save_responses(self, rows: Iterable[CachedResponse], now: datetime) -> int:
        """Insert or replace these rows; returns how many were written."""
        values = [
            {
                "incident_id": row.incident_id,
                "version": row.version,
                "closed": row.closed,
                "started_at": row.started_at,
                "acknowledged_at": row.acknowledged_at,
                "acknowledged_by": row.acknowledged_by,
                "resolved_at": row.resolved_at,
                "retriggers": row.retriggers,
                "ack_unknown": row.ack_unknown,
                "resolve_unknown": row.resolve_unknown,
                "read_at": now,
            }
            for row in rows
        ]
        if not values:
            return 0
        insert = self._insert(times)
        upsert = insert.on_conflict_do_update(
            index_elements=[times.c.incident_id],
            set_={name: insert.excluded[name] for name in values[0] if name != "incident_id"},
        )
        with self._write() as conn:  # one transaction, one statement run for every row (executemany)
            conn.execute(upsert, values)
        return len(values)

    def prune_responses(self, before: datetime) -> int:
        """Forget rows read before `before`, and runs scheduled before it (retention: reports never look
        that far back; an incident pruned and asked for again is read again)."""
        with self._write() as conn:
            pruned = conn.execute(delete(times).where(times.c.read_at < before)).rowcount
            return pruned + conn.execute(delete(runs).where(runs.c.run_at < before)).rowcount

    # ------------------------------------------------------------------------------ scheduled runs

    def arm_schedule(self, route: str, now: datetime) -> datetime:
        """When the route's schedule was first seen (recorded now if never): runs before it are not owed."""
        with self._write() as conn:
            stmt = self._insert(schedules).values(route=route, armed_at=now)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=[schedules.c.route]))
            armed: datetime = conn.execute(
                select(schedules.c.armed_at).where(schedules.c.route == route)
            ).scalar_one()
            return armed

    def schedule_armed_at(self, route: str) -> datetime | None:
        with self._read() as conn:
            armed: datetime | None = conn.execute(
                select(schedules.c.armed_at).where(schedules.c.route == route)
            ).scalar_one_or_none()
            return armed

    def claim_report_run(
        self, route: str, channel: str, run_at: datetime, replica: str, now: datetime, *, late: bool
    ) -> bool:
        """Claim the run for `channel`; False when it is claimed or posted already (by anyone)."""
        with self._write() as conn:
            stmt = self._insert(runs).values(
                route=route,
                channel=channel,
                run_at=run_at,
                state=RUN_CLAIMED,
                claimed_by=replica,
                claimed_at=now,
                late=late,
            )
            stmt = stmt.on_conflict_do_nothing(index_elements=[runs.c.route, runs.c.channel, runs.c.run_at])
            return conn.execute(stmt.returning(runs.c.route)).first() is not None

    def mark_report_posted(self, route: str, channel: str, run_at: datetime, ts: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(runs)
                .where(_run_key(route, channel, run_at))
                .values(state=RUN_POSTED, ts=ts, posted_at=now)
            )

    def release_report_run(self, route: str, channel: str, run_at: datetime, replica: str) -> None:
        """Give a claim back when posting failed for now (Slack down): the next round tries again."""
        with self._write() as conn:
            conn.execute(
                delete(runs).where(
                    _run_key(route, channel, run_at),
                    runs.c.state == RUN_CLAIMED,
                    runs.c.claimed_by == replica,
                )
            )

    def stale_report_runs(self, route: str, run_at: datetime, claimed_before: datetime) -> list[ReportRun]:
        """Claims of this run still not posted that were made before `claimed_before` (their replica
        died between claiming and recording the post, or is stuck)."""
        stmt = select(runs).where(
            runs.c.route == route,
            runs.c.run_at == run_at,
            runs.c.state == RUN_CLAIMED,
            runs.c.claimed_at < claimed_before,
        )
        with self._read() as conn:
            return [ReportRun(**dict(row)) for row in conn.execute(stmt).mappings()]

    def release_stale_report_run(
        self, route: str, channel: str, run_at: datetime, claimed_before: datetime
    ) -> bool:
        """Free a stale claim (see `stale_report_runs`) so the run can be claimed again; False when it
        was posted or claimed afresh meanwhile."""
        with self._write() as conn:
            result = conn.execute(
                delete(runs).where(
                    _run_key(route, channel, run_at),
                    runs.c.state == RUN_CLAIMED,
                    runs.c.claimed_at < claimed_before,
                )
            )
            return result.rowcount == 1

    def report_runs(self, route: str | None = None) -> list[ReportRun]:
        stmt = select(runs).order_by(runs.c.run_at, runs.c.channel)
        if route is not None:
            stmt = stmt.where(runs.c.route == route)
        with self._read() as conn:
            return [ReportRun(**dict(row)) for row in conn.execute(stmt).mappings()]


def _run_key(route: str, channel: str, run_at: datetime) -> ColumnElement[bool]:
    return and_(runs.c.route == route, runs.c.channel == channel, runs.c.run_at == run_at)
