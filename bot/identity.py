"""Who a Slack user is in Coralogix: the settings file's `users:` first, else the e-mail of their profile.

E-mail answers from Slack's users.info are cached in the database (every replica shares them); a failed
look-up is never cached, so a Slack hiccup does not leave someone unmapped for an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.config import RoutingConfig
from bot.errors import SlackError, SlackRequestError
from bot.store import Store

log = logging.getLogger(__name__)

UserEmail = Callable[[str], str | None]
"""Slack user id -> the e-mail of their profile (None when the profile shows none)."""

FOUND_MAX_AGE = timedelta(hours=1)
MISSING_MAX_AGE = timedelta(minutes=5)


class MappedBy(StrEnum):
    SETTINGS = "settings"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Identity:
    """A Slack user and the Coralogix user they act as; `reason` says why there is none."""

    slack_id: str
    coralogix_user: str | None
    mapped_by: MappedBy | None = None
    reason: str = ""

    @property
    def is_mapped(self) -> bool:
        return self.coralogix_user is not None

    def describe_source(self) -> str:
        if self.mapped_by is MappedBy.SETTINGS:
            return "from the bot's settings file"
        if self.mapped_by is MappedBy.EMAIL:
            return "from the e-mail of your Slack profile"
        return ""


def how_to_get_mapped(slack_id: str) -> str:
    return (
        "Ask whoever runs the bot to add you under `users:` in its settings file "
        f"(`- slack: {slack_id}` / `coralogix: <your Coralogix e-mail>`)."
    )


class IdentityResolver:
    """Slack user id -> `Identity`; never raises for Slack trouble, it says so in `reason` instead."""

    def __init__(
        self,
        routing: RoutingConfig,
        store: Store,
        user_email: UserEmail,
        *,
        found_max_age: timedelta = FOUND_MAX_AGE,
        missing_max_age: timedelta = MISSING_MAX_AGE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._routing = routing
        self._store = store
        self._user_email = user_email
        self._found_max_age = found_max_age
        self._missing_max_age = missing_max_age
        self._clock = clock

    def resolve(self, slack_id: str) -> Identity:
        explicit = self._routing.coralogix_user_for(slack_id)
        if explicit is not None:
            return Identity(slack_id, explicit, MappedBy.SETTINGS)
        now = self._clock()
        cached = self._store.cached_identity(slack_id, self._found_max_age, now)
        if cached is not None and (
            cached.coralogix_user is not None or now - cached.fetched_at < self._missing_max_age
        ):
            return self._from_email(slack_id, cached.coralogix_user)
        try:
            email = self._user_email(slack_id)
        except SlackRequestError as exc:
            if exc.error != "user_not_found":
                log.warning("users.info refused for %s: %s", slack_id, exc)
                return Identity(slack_id, None, reason=f"I could not read your Slack profile ({exc}).")
            email = None
        except SlackError as exc:
            log.warning("users.info failed for %s: %s", slack_id, exc)
            return Identity(
                slack_id, None, reason="I could not read your Slack profile just now; try again in a moment."
            )
        coralogix_user = email.strip().lower() if email and email.strip() else None
        self._store.cache_identity(slack_id, coralogix_user, email, now)
        return self._from_email(slack_id, coralogix_user)

    def _from_email(self, slack_id: str, coralogix_user: str | None) -> Identity:
        if coralogix_user is not None:
            return Identity(slack_id, coralogix_user, MappedBy.EMAIL)
        return Identity(
            slack_id,
            None,
            reason=(
                f"I don't know who <@{slack_id}> is in Coralogix: the settings file does not map them and "
                f"their Slack profile shows no e-mail address. {how_to_get_mapped(slack_id)}"
            ),
        )
