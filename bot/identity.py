"""Who a Slack user is in Coralogix: the settings file's `users:` first, else their profile e-mail.

The e-mail maps a person only when its domain is on `identity.email_domains` and Slack vouches for the
person: guests, bots, deleted users and unconfirmed e-mails never map by e-mail. With no allow-list,
e-mail mapping is off. Profile answers are cached in the database (every replica shares them); a failed
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
from bot.slack.profiles import SlackProfile
from bot.store import Store

log = logging.getLogger(__name__)

ProfileOf = Callable[[str], SlackProfile]
"""Slack user id -> what users.info says about them (raises SlackError)."""

FOUND_MAX_AGE = timedelta(hours=1)
MISSING_MAX_AGE = timedelta(minutes=5)

_INELIGIBLE = {
    "guest": "guests of this Slack workspace are never mapped by e-mail",
    "bot": "bots and apps are never mapped to a Coralogix user",
    "deleted": "this Slack account is deactivated",
    "unconfirmed": "Slack has not confirmed the e-mail of this profile",
}


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
        profile_of: ProfileOf,
        *,
        found_max_age: timedelta = FOUND_MAX_AGE,
        missing_max_age: timedelta = MISSING_MAX_AGE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._routing = routing
        self._store = store
        self._profile_of = profile_of
        self._found_max_age = found_max_age
        self._missing_max_age = missing_max_age
        self._clock = clock

    @property
    def email_mapping_on(self) -> bool:
        return bool(self._routing.identity.email_domains)

    def resolve(self, slack_id: str) -> Identity:
        explicit = self._routing.coralogix_user_for(slack_id)
        if explicit is not None:
            return Identity(slack_id, explicit, MappedBy.SETTINGS)
        if not self.email_mapping_on:
            return Identity(
                slack_id,
                None,
                reason=(
                    f"I don't know who <@{slack_id}> is in Coralogix: the settings file does not map them, "
                    f"and mapping by Slack e-mail is off. {how_to_get_mapped(slack_id)}"
                ),
            )
        now = self._clock()
        cached = self._store.cached_identity(slack_id, self._found_max_age, now)
        if cached is not None and (
            cached.coralogix_user is not None or now - cached.fetched_at < self._missing_max_age
        ):
            return self._decide(slack_id, cached.email, cached.ineligible)
        try:
            profile = self._profile_of(slack_id)
        except SlackRequestError as exc:
            if exc.error != "user_not_found":
                log.warning("users.info refused for %s: %s", slack_id, exc)
                return Identity(slack_id, None, reason=f"I could not read your Slack profile ({exc}).")
            profile = SlackProfile(email=None, deleted=True)
        except SlackError as exc:
            log.warning("users.info failed for %s: %s", slack_id, exc)
            return Identity(
                slack_id, None, reason="I could not read your Slack profile just now; try again in a moment."
            )
        email = profile.email.strip().lower() if profile.email and profile.email.strip() else None
        ineligible = profile.ineligible
        candidate = email if ineligible is None else None
        self._store.cache_identity(slack_id, candidate, email, now, ineligible=ineligible)
        return self._decide(slack_id, email, ineligible)

    def _decide(self, slack_id: str, email: str | None, ineligible: str | None) -> Identity:
        """The mapping an e-mail gives under today's rules (the allow-list may have changed since caching)."""
        who = f"I don't know who <@{slack_id}> is in Coralogix"
        if ineligible is not None:
            why = _INELIGIBLE.get(ineligible, "Slack does not vouch for this profile")
            return Identity(slack_id, None, reason=f"{who}: {why}. {how_to_get_mapped(slack_id)}")
        if email is None:
            return Identity(
                slack_id,
                None,
                reason=(
                    f"{who}: the settings file does not map them and their Slack profile shows no e-mail "
                    f"address. {how_to_get_mapped(slack_id)}"
                ),
            )
        if not self._routing.identity.allows_email(email):
            domains = ", ".join(self._routing.identity.email_domains)
            return Identity(
                slack_id,
                None,
                reason=(
                    f"{who}: only Slack e-mails on {domains} map to Coralogix users, and theirs is not. "
                    f"{how_to_get_mapped(slack_id)}"
                ),
            )
        return Identity(slack_id, email, MappedBy.EMAIL)

    def may_be_assignee(self, coralogix_user: str) -> bool:
        """Whether an e-mail typed as an assignee is someone the bot could map: listed or on a domain."""
        user = coralogix_user.strip().lower()
        return user in self._routing.mapped_coralogix_users() or self._routing.identity.allows_email(user)
