"""Poll cursors: named positions (e.g. the last state-update time and id already seen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.store.base import StoreBase, utcnow
from bot.store.tables import poll_cursors as t


class CursorQueries(StoreBase):
    def get_cursor(self, name: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one_or_none()

    def set_cursor(self, name: str, value: str, now: datetime | None = None) -> None:
        stmt = self._upsert(t, ["name"], {"name": name, "value": value, "updated_at": now or utcnow()})
        with self._write() as conn:
            conn.execute(stmt)
