"""The bot's live surfaces outside channel cards: link unfurls it made, Home tabs it published.

An unfurl (`chat.unfurl` of an incident link someone pasted) is one row per (channel, message ts, URL as
shared), so the bot can unfurl it again when the incident changes; a row Slack refuses for good (the
message deleted) is forgotten, and retention prunes the rows of a closed incident with its snapshot.
A Home tab is one row per person the bot published one for, so it can be republished after their actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select

from bot.store.base import StoreBase, utcnow
from bot.store.tables import home_tabs, link_unfurls

UNFURLS_PER_INCIDENT = 20
"""The newest unfurls of one incident that are refreshed when it changes (older ones stay as drawn)."""


@dataclass(frozen=True, slots=True)
class UnfurlRow:
    incident_id: str
    channel: str
    ts: str
    url: str


class UnfurlQueries(StoreBase):
    def record_unfurl(self, row: UnfurlRow, now: datetime | None = None) -> None:
        """Remember an unfurl the bot made (again: its time moves on)."""
        values = {
            "channel": row.channel,
            "ts": row.ts,
            "url": row.url,
            "incident_id": row.incident_id,
            "unfurled_at": now or utcnow(),
        }
        with self._write() as conn:
            conn.execute(self._upsert(link_unfurls, ["channel", "ts", "url"], values))

    def unfurls_of(self, incident_id: str, limit: int = UNFURLS_PER_INCIDENT) -> list[UnfurlRow]:
        """The incident's newest unfurls, newest first."""
        t = link_unfurls
        query = (
            select(t.c.incident_id, t.c.channel, t.c.ts, t.c.url)
            .where(t.c.incident_id == incident_id)
            .order_by(t.c.unfurled_at.desc(), t.c.ts.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return [UnfurlRow(*r) for r in conn.execute(query)]

    def forget_unfurl(self, row: UnfurlRow) -> None:
        t = link_unfurls
        where = and_(t.c.channel == row.channel, t.c.ts == row.ts, t.c.url == row.url)
        with self._write() as conn:
            conn.execute(delete(t).where(where))

    def record_home(self, user_id: str, now: datetime | None = None) -> None:
        """Remember that the bot published `user_id`'s Home tab."""
        values = {"user_id": user_id, "published_at": now or utcnow()}
        with self._write() as conn:
            conn.execute(self._upsert(home_tabs, ["user_id"], values))

    def has_home(self, user_id: str) -> bool:
        with self._read() as conn:
            found = conn.execute(select(home_tabs.c.user_id).where(home_tabs.c.user_id == user_id))
            return found.first() is not None
