"""What the bot reads from a Slack user's profile to decide who they are in Coralogix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SlackProfile:
    """The parts of a Slack user that decide whether their profile e-mail may stand for them."""

    email: str | None
    is_guest: bool = False
    is_bot: bool = False
    deleted: bool = False
    email_confirmed: bool = False

    @property
    def ineligible(self) -> str | None:
        """Why this profile's e-mail must not map its owner (a short code), or None."""
        if self.deleted:
            return "deleted"
        if self.is_bot:
            return "bot"
        if self.is_guest:
            return "guest"
        if self.email and not self.email_confirmed:
            return "unconfirmed"
        return None
