"""What the reconciliation asks of the store: a page compared with the snapshots in one query (fingerprints
compared by the database), a keyset walk over the incidents it has not seen open yet, and its resumable
progress, moved only by whoever holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from bot.store.base import StoreBase, chunked, unique, utcnow
from bot.store.tables import incident_snapshots as t
from bot.store.tables import poll_cursors

# Two bound parameters per incident (id, then "id fingerprint"): 250 incidents per statement.
_PAIRS = 250


@dataclass(frozen=True, slots=True)
class Comparison:
    """What the store says of a page of incidents: which cards are as stored, which it knows newer."""

    same: frozenset[str]  # stored with exactly this fingerprint
    newer: frozenset[str]  # stored from a later state update than the page's (the page is stale there)


class SweepQueries(StoreBase):
    def compare(self, fingerprints: Mapping[str, str], updated: Mapping[str, datetime | None]) -> Comparison:
        """Compare a page (id -> fingerprint, id -> last state update) with the stored snapshots.

        The fingerprints are compared by the database: only a yes or no per id comes back, never the
        snapshot. An incident is newer in the store when a poll recorded a later state update of it than
        the page shows, e.g. a regular poll that ran after this page was read.
        """
        same: set[str] = set()
        newer: set[str] = set()
        keys = [(incident_id, f"{incident_id} {print_}") for incident_id, print_ in fingerprints.items()]
        with self._read() as conn:
            for batch in chunked(keys, _PAIRS):
                matches = (t.c.incident_id + " " + t.c.fingerprint).in_([key for _, key in batch])
                stmt = select(t.c.incident_id, t.c.last_state_update_time, matches.label("same")).where(
                    t.c.incident_id.in_([incident_id for incident_id, _ in batch])  # the primary key
                )
                for row in conn.execute(stmt):
                    if row.same:
                        same.add(row.incident_id)
                    elif _later(row.last_state_update_time, updated.get(row.incident_id)):
                        newer.add(row.incident_id)
        return Comparison(frozenset(same), frozenset(newer))

    def mark_swept(self, incident_ids: Sequence[str], sweep: int) -> None:
        """Reconciliation `sweep` saw these incidents open (ids the bot does not track are ignored)."""
        with self._write() as conn:
            for batch in chunked(unique(incident_ids)):
                conn.execute(update(t).where(t.c.incident_id.in_(batch)).values(swept=sweep))

    def unswept_open(self, sweep: int, after: str | None, limit: int) -> list[str]:
        """The next `limit` ids after `after`, in id order, the bot thinks open and `sweep` has not seen."""
        stmt = select(t.c.incident_id).where(
            t.c.closed.is_(False), or_(t.c.swept.is_(None), t.c.swept != sweep)
        )
        if after is not None:
            stmt = stmt.where(t.c.incident_id > after)
        with self._read() as conn:
            return list(conn.execute(stmt.order_by(t.c.incident_id).limit(limit)).scalars())

    def swap_cursor(self, name: str, expected: str | None, value: str, now: datetime | None = None) -> bool:
        """Set cursor `name` to `value` only if it still holds `expected` (None: absent); True if it did.

        A replica that lost the lease mid-page cannot move the cursor back under its successor.
        """
        row = {"name": name, "value": value, "updated_at": now or utcnow()}
        with self._write() as conn:
            if expected is None:
                insert = self._insert(poll_cursors).values(**row).on_conflict_do_nothing()
                # RETURNING, not rowcount: drivers need not report rowcount for an INSERT.
                return conn.execute(insert.returning(poll_cursors.c.name)).first() is not None
            stmt = (
                update(poll_cursors)
                .where(poll_cursors.c.name == name, poll_cursors.c.value == expected)
                .values(value=value, updated_at=row["updated_at"])
            )
            return bool(conn.execute(stmt).rowcount == 1)


def _later(stored: datetime | None, page: datetime | None) -> bool:
    return stored is not None and page is not None and stored > page
