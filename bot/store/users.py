"""Per-user state: personal API keys (ciphertext only) and the Slack -> Coralogix identity cache."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select

from bot.store.base import StoreBase, utcnow
from bot.store.rows import CachedIdentity, PersonalKey
from bot.store.tables import identity_cache, personal_keys

_KEY_OF = select(personal_keys).where(personal_keys.c.slack_user_id == bindparam("b_user"))
_IDENTITY_OF = select(identity_cache).where(
    identity_cache.c.slack_user_id == bindparam("b_user"), identity_cache.c.fetched_at > bindparam("b_oldest")
)


class UserQueries(StoreBase):
    def save_personal_key(
        self,
        slack_user_id: str,
        encrypted_key: bytes,
        coralogix_user: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Store (or replace) a user's encrypted key; the caller encrypts, the store never sees the key."""
        stmt = self._upsert(
            personal_keys,
            ["slack_user_id"],
            {
                "slack_user_id": slack_user_id,
                "encrypted_key": encrypted_key,
                "coralogix_user": coralogix_user,
                "created_at": now or utcnow(),
            },
        )
        with self._write() as conn:
            conn.execute(stmt)

    def get_personal_key(self, slack_user_id: str) -> PersonalKey | None:
        with self._read() as conn:
            row = conn.execute(_KEY_OF, {"b_user": slack_user_id}).first()
        if row is None:
            return None
        return PersonalKey(
            slack_user_id=row.slack_user_id,
            encrypted_key=bytes(row.encrypted_key),
            coralogix_user=row.coralogix_user,
            created_at=row.created_at,
        )

    def delete_personal_key(self, slack_user_id: str) -> bool:
        """Forget a user's key; True when there was one."""
        stmt = delete(personal_keys).where(personal_keys.c.slack_user_id == slack_user_id)
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def cache_identity(
        self,
        slack_user_id: str,
        coralogix_user: str | None,
        email: str | None,
        now: datetime | None = None,
        ineligible: str | None = None,
    ) -> None:
        """Remember a lookup's answer, including "no Coralogix user" (`coralogix_user` None)."""
        columns = ("slack_user_id", "coralogix_user", "email", "fetched_at", "ineligible")
        stmt = self._prepared(
            "cache_identity", lambda: self._upsert_of(identity_cache, ["slack_user_id"], columns)
        )
        values = {
            "slack_user_id": slack_user_id,
            "coralogix_user": coralogix_user,
            "email": email,
            "fetched_at": now or utcnow(),
            "ineligible": ineligible,
        }
        with self._write() as conn:
            conn.execute(stmt, values)

    def cached_identity(
        self, slack_user_id: str, max_age: timedelta, now: datetime | None = None
    ) -> CachedIdentity | None:
        """The cached lookup if it is younger than `max_age`; None means "look it up again"."""
        oldest = (now or utcnow()) - max_age
        with self._read() as conn:
            row = conn.execute(_IDENTITY_OF, {"b_user": slack_user_id, "b_oldest": oldest}).first()
        if row is None:
            return None
        return CachedIdentity(
            slack_user_id=row.slack_user_id,
            coralogix_user=row.coralogix_user,
            email=row.email,
            fetched_at=row.fetched_at,
            ineligible=row.ineligible,
        )

    def forget_identity(self, slack_user_id: str) -> None:
        """Drop a cached lookup (e.g. after the users file changed)."""
        stmt = delete(identity_cache).where(identity_cache.c.slack_user_id == slack_user_id)
        with self._write() as conn:
            conn.execute(stmt)
