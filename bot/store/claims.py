"""Action claims: one Coralogix write per (incident, action) at a time, across every replica.

A click claims its incident and action before it writes; a second click while the claim lives (the
write in flight, then a short hold after it is done) is told who acted instead of writing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, select, update

from bot.store.base import StoreBase, utcnow
from bot.store.tables import action_claims as t

CLAIM_ACTING = "acting"
CLAIM_DONE = "done"


@dataclass(frozen=True, slots=True)
class ActionClaim:
    """Someone else's live claim: who, and whether their write is still in flight or done."""

    incident_id: str
    action: str
    slack_user_id: str
    state: str
    claimed_at: datetime


_KEY = and_(t.c.incident_id == bindparam("b_incident"), t.c.action == bindparam("b_action"))
_MINE = and_(_KEY, t.c.slack_user_id == bindparam("b_user"))
_DROP_EXPIRED = delete(t).where(_KEY, t.c.expires_at <= bindparam("b_now"))
_CURRENT = select(t).where(_KEY)
_MARK_DONE = (
    update(t)
    .where(_MINE)
    .values(state=CLAIM_DONE, expires_at=bindparam("b_expires", type_=t.c.expires_at.type))
)
_RELEASE = delete(t).where(_MINE)


class ActionClaimQueries(StoreBase):
    def claim_action(
        self,
        incident_id: str,
        action: str,
        slack_user_id: str,
        *,
        lifetime: timedelta,
        now: datetime | None = None,
    ) -> ActionClaim | None:
        """None when this caller now holds the claim; else the live claim that beat it."""
        now = now or utcnow()
        key = {"b_incident": incident_id, "b_action": action}
        claim = self._prepared(
            "claim_action",
            lambda: (
                self._insert(t)
                .on_conflict_do_nothing(index_elements=[t.c.incident_id, t.c.action])
                .returning(t.c.incident_id)
            ),
        )
        with self._write() as conn:
            conn.execute(_DROP_EXPIRED, {**key, "b_now": now})
            won = conn.execute(
                claim,
                {
                    "incident_id": incident_id,
                    "action": action,
                    "slack_user_id": slack_user_id,
                    "state": CLAIM_ACTING,
                    "claimed_at": now,
                    "expires_at": now + lifetime,
                },
            ).first()
            if won is not None:
                return None
            row = conn.execute(_CURRENT, key).first()
        if row is None:  # released between our insert and our read: treat as taken, the caller retries
            return ActionClaim(incident_id, action, slack_user_id, CLAIM_ACTING, now)
        return ActionClaim(row.incident_id, row.action, row.slack_user_id, row.state, row.claimed_at)

    def finish_action(
        self,
        incident_id: str,
        action: str,
        slack_user_id: str,
        *,
        done: bool,
        hold: timedelta,
        now: datetime | None = None,
    ) -> None:
        """Done: keep the claim for `hold` so late duplicates hear who acted; not done: release it."""
        now = now or utcnow()
        mine = {"b_incident": incident_id, "b_action": action, "b_user": slack_user_id}
        with self._write() as conn:
            if done:
                conn.execute(_MARK_DONE, {**mine, "b_expires": now + hold})
            else:
                conn.execute(_RELEASE, mine)

    def prune_action_claims(self, now: datetime | None = None) -> int:
        """Forget claims that have expired; returns how many."""
        with self._write() as conn:
            return int(conn.execute(delete(t).where(t.c.expires_at <= (now or utcnow()))).rowcount)
