"""What the reconciliation asks of the store: fingerprints compared in the database, a keyset walk over
the incidents it has not seen open yet, and its resumable progress, moved only by whoever holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update

from bot.store.base import StoreBase, chunked, unique, utcnow
from bot.store.tables import incident_snapshots as t
from bot.store.tables import poll_cursors

# Two bound parameters per incident (id, then "id fingerprint"): 250 incidents per statement.
_PAIRS = 250


class SweepQueries(StoreBase):
    def unchanged(self, fingerprints: Mapping[str, str]) -> set[str]:
        """The ids among `fingerprints` (id -> fingerprint) stored with exactly that fingerprint.

        The comparison is the database's: only the matching ids come back, never the snapshots.
        """
        found: set[str] = set()
        keys = [(incident_id, f"{incident_id} {print_}") for incident_id, print_ in fingerprints.items()]
        with self._read() as conn:
            for batch in chunked(keys, _PAIRS):
                stmt = select(t.c.incident_id).where(
                    t.c.incident_id.in_([incident_id for incident_id, _ in batch]),  # the primary key
                    (t.c.incident_id + " " + t.c.fingerprint).in_([key for _, key in batch]),
                )
                found.update(conn.execute(stmt).scalars())
        return found

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
