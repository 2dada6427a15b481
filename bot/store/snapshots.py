"""Incident snapshots: what the bot last knew of each incident, read and written in batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Row

from bot.domain import Severity, State, Status
from bot.store.base import StoreBase, chunked, unique, utcnow
from bot.store.rows import Snapshot
from bot.store.tables import incident_messages
from bot.store.tables import incident_snapshots as t

# `swept` belongs to the reconciliation (store/sweeps.py): writing a snapshot leaves it as it is.
_UPDATABLE = [c.name for c in t.columns if c.name not in ("incident_id", "swept")]


class SnapshotQueries(StoreBase):
    def get_snapshot(self, incident_id: str) -> Snapshot | None:
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.incident_id == incident_id)).first()
        return _snapshot(row) if row is not None else None

    def get_snapshots(self, incident_ids: Iterable[str]) -> dict[str, Snapshot]:
        """Snapshots of many incidents, a few hundred ids per query; unknown ids are absent."""
        found: dict[str, Snapshot] = {}
        with self._read() as conn:
            for batch in chunked(unique(incident_ids)):
                for row in conn.execute(select(t).where(t.c.incident_id.in_(batch))):
                    found[row.incident_id] = _snapshot(row)
        return found

    def upsert_snapshot(self, snapshot: Snapshot, now: datetime | None = None) -> None:
        self.upsert_snapshots([snapshot], now)

    def upsert_snapshots(self, snapshots: Sequence[Snapshot], now: datetime | None = None) -> None:
        """Insert or replace many snapshots in one transaction (the last one wins for a repeated id)."""
        if not snapshots:
            return
        now = now or utcnow()
        by_id = {s.incident_id: _params(s, now) for s in snapshots}
        stmt = self._insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.incident_id], set_={name: stmt.excluded[name] for name in _UPDATABLE}
        )
        rows = list(by_id.values())
        with self._write() as conn:
            for batch in chunked(rows):
                conn.execute(stmt, list(batch))

    def count_tracked_open(self) -> int:
        """How many incidents the bot follows that were not closed when last seen."""
        stmt = select(func.count()).select_from(t).where(t.c.closed.is_(False))
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def prune_closed(self, updated_before: datetime) -> int:
        """Forget closed incidents untouched since `updated_before`, with their messages; returns how many."""
        doomed = select(t.c.incident_id).where(t.c.closed.is_(True), t.c.updated_at < updated_before)
        with self._write() as conn:
            conn.execute(delete(incident_messages).where(incident_messages.c.incident_id.in_(doomed)))
            return conn.execute(delete(t).where(t.c.incident_id.in_(doomed))).rowcount


def _params(snapshot: Snapshot, now: datetime) -> dict[str, Any]:
    return {
        "incident_id": snapshot.incident_id,
        "status": snapshot.status.value,
        "state": snapshot.state.value,
        "severity": snapshot.severity.value,
        "assignee": snapshot.assignee,
        "muted": snapshot.muted,
        "closed": snapshot.closed,
        "last_state_update_time": snapshot.last_state_update_time,
        "fingerprint": snapshot.fingerprint,
        "seen_event_count": snapshot.seen_event_count,
        "last_event_id": snapshot.last_event_id,
        "channels": list(snapshot.channels),
        "updated_at": snapshot.updated_at or now,
    }


def _snapshot(row: Row[Any]) -> Snapshot:
    return Snapshot(
        incident_id=row.incident_id,
        status=Status(row.status),
        state=State(row.state),
        severity=Severity(row.severity),
        assignee=row.assignee,
        muted=row.muted,
        closed=row.closed,
        last_state_update_time=row.last_state_update_time,
        fingerprint=row.fingerprint,
        seen_event_count=row.seen_event_count,
        last_event_id=row.last_event_id,
        channels=tuple(row.channels),
        updated_at=row.updated_at,
    )
