"""Leases: a named lock with an expiry, so exactly one replica does a job (e.g. polling) at a time.

When `now` is not given, PostgreSQL's clock is used, so replicas whose clocks disagree still agree
on who holds a lease; SQLite is local to one machine, so its clock is the process's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.engine import Connection

from bot.store.base import StoreBase, utcnow
from bot.store.tables import leases as t


class LeaseQueries(StoreBase):
    def acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime | None = None) -> bool:
        """Take the lease if it is free or expired, or renew it if `holder` has it; True when held."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        with self._write() as conn:
            at = now or self._clock(conn)
            stmt = self._insert(t).values(
                name=name, holder=holder, expires_at=at + timedelta(seconds=ttl_seconds), acquired_at=at
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.name],
                set_={
                    "holder": stmt.excluded.holder,
                    "expires_at": stmt.excluded.expires_at,
                    "acquired_at": case(
                        (t.c.holder == stmt.excluded.holder, t.c.acquired_at), else_=stmt.excluded.acquired_at
                    ),
                },
                where=or_(t.c.holder == stmt.excluded.holder, t.c.expires_at <= at),
            )
            # RETURNING, not rowcount: drivers need not report rowcount for an INSERT.
            return conn.execute(stmt.returning(t.c.name)).first() is not None

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up at once (on shutdown); a no-op unless `holder` has it."""
        with self._write() as conn:
            return conn.execute(delete(t).where(t.c.name == name, t.c.holder == holder)).rowcount == 1

    def lease_holder(self, name: str, now: datetime | None = None) -> str | None:
        """Who holds the lease now, or None when nobody does (never taken, released or expired)."""
        with self._read() as conn:
            at = now or self._clock(conn)
            stmt = select(t.c.holder).where(t.c.name == name, t.c.expires_at > at)
            return conn.execute(stmt).scalar_one_or_none()

    def _clock(self, conn: Connection) -> datetime:
        if not self.is_postgres:
            return utcnow()
        value: datetime = conn.execute(select(func.now())).scalar_one()
        return value.astimezone(UTC)
