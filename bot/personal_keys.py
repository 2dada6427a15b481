"""Personal Coralogix API keys: checked with a cheap call, stored only as Fernet ciphertext, never shown.

Acknowledge, Resolve and Close carry no user: Coralogix credits the owner of the key that made the call.
A user who connects their own key gets their actions credited to them; everyone else acts through the
team key (and the thread names who clicked).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from bot.coralogix.backend import CoralogixBackend
from bot.errors import (
    BotError,
    CoralogixAuthError,
    CoralogixError,
    CoralogixPermissionError,
    CoralogixUnavailableError,
)
from bot.store import Store

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 512

KeyCheck = Callable[[str], None]
"""Makes one cheap call as the key; raises a CoralogixError when Coralogix does not accept it."""


def key_check(client: CoralogixBackend) -> KeyCheck:
    """The cheapest call Coralogix can judge a key by: one page of one incident, read as that key."""

    def check(key: str) -> None:
        client.list_incidents(page_size=1, api_key=key)

    return check


class PersonalKeyError(BotError):
    """A personal key cannot be stored or used; the message says why, to the user."""


class KeySource(StrEnum):
    PERSONAL = "personal"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class CallerKey:
    """The key an action is made with: the user's own, or None for the team key."""

    source: KeySource
    api_key: SecretStr | None = None
    connected_at: datetime | None = None


class PersonalKeys:
    """Connect, disconnect and look up personal keys; disabled without an encryption key."""

    def __init__(self, store: Store, fernet: Fernet | None, check: KeyCheck, *, command: str = "/cx") -> None:
        self._store = store
        self._fernet = fernet
        self._check = check
        self._command = command

    @classmethod
    def from_secret(
        cls, store: Store, encryption_key: SecretStr | None, check: KeyCheck, *, command: str = "/cx"
    ) -> PersonalKeys:
        fernet = Fernet(encryption_key.get_secret_value()) if encryption_key is not None else None
        return cls(store, fernet, check, command=command)

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def connect(self, slack_id: str, coralogix_user: str | None, raw_key: str) -> None:
        """Check the key with Coralogix, then store it encrypted; PersonalKeyError says what went wrong."""
        fernet = self._require_fernet()
        key = raw_key.strip()
        if not key:
            raise PersonalKeyError("The key is empty: paste your personal Coralogix API key.")
        if len(key) > MAX_KEY_LENGTH or any(char.isspace() for char in key):
            raise PersonalKeyError("That does not look like an API key (it is too long or has spaces in it).")
        try:
            self._check(key)
        except CoralogixAuthError:
            raise PersonalKeyError("Coralogix rejected that key: check that you copied all of it.") from None
        except CoralogixPermissionError as exc:
            raise PersonalKeyError(
                f"That key cannot read incidents (it lacks {exc.permission or 'incidents:read'})."
            ) from None
        except CoralogixUnavailableError:
            raise PersonalKeyError(
                "I could not reach Coralogix to check the key; nothing was stored. Try again in a moment."
            ) from None
        except CoralogixError as exc:
            raise PersonalKeyError(
                f"Coralogix did not accept that key ({exc}); nothing was stored."
            ) from None
        self._store.save_personal_key(slack_id, fernet.encrypt(key.encode()), coralogix_user)
        log.info("personal API key connected for %s", slack_id)

    def disconnect(self, slack_id: str) -> bool:
        """Delete the user's key; True when there was one."""
        deleted = self._store.delete_personal_key(slack_id)
        if deleted:
            log.info("personal API key deleted for %s", slack_id)
        return deleted

    def key_for(self, slack_id: str) -> CallerKey:
        """The user's own key when they have one, else the team key; PersonalKeyError if it is unreadable.

        An unreadable key is refused rather than replaced by the team key: the user chose to act as
        themselves, and silently crediting the team instead would put the wrong name in Coralogix.
        """
        row = self._store.get_personal_key(slack_id)
        if row is None:
            return CallerKey(KeySource.TEAM)
        if self._fernet is None:
            raise PersonalKeyError(
                "You connected a personal API key, but the bot can no longer read it (it has no "
                "BOT_ENCRYPTION_KEY now). "
                f"Run `{self._command} disconnect` to act through the team key."
            )
        try:
            key = self._fernet.decrypt(row.encrypted_key).decode()
        except InvalidToken:
            log.warning("the personal API key of %s does not decrypt with BOT_ENCRYPTION_KEY", slack_id)
            raise PersonalKeyError(
                "The bot can no longer read your personal API key (its encryption key changed). "
                f"Run `{self._command} connect` again, or `{self._command} disconnect` to act through "
                "the team key."
            ) from None
        return CallerKey(KeySource.PERSONAL, SecretStr(key), row.created_at)

    def _require_fernet(self) -> Fernet:
        if self._fernet is None:
            raise PersonalKeyError(
                "Personal API keys are turned off: the bot has no BOT_ENCRYPTION_KEY to store them with."
            )
        return self._fernet
