"""Conversations: the channels a person is in, and war rooms created, joined and archived."""

from __future__ import annotations

from bot.errors import (
    SlackRequestError,
)
from bot.slack.gateway.core import GatewayCore


class ConversationCalls(GatewayCore):
    def user_channels(self, user_id: str, *, max_pages: int = 5) -> set[str]:
        """users.conversations: the public and private channels (the bot can see) the person is in."""
        found: set[str] = set()
        cursor = ""
        for _ in range(max_pages):
            params = {"user": user_id, "types": "public_channel,private_channel", "exclude_archived": "true"}
            data = self._call("users.conversations", None, {**params, "limit": 200, "cursor": cursor})
            found |= {str(c["id"]) for c in data.get("channels") or [] if isinstance(c, dict) and "id" in c}
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return found

    # -- war rooms (public channels the bot creates) ---------------------------------------------

    def create_channel(self, name: str) -> str:
        """conversations.create of a public channel; returns its id (Slack's errors as `SlackError`s,
        e.g. `name_taken`, `missing_scope`)."""
        data = self._call("conversations.create", None, {"name": name, "is_private": "false"})
        return str((data.get("channel") or {})["id"])

    def invite_to_channel(self, channel: str, user: str) -> bool:
        """conversations.invite of one person; False when they already are in the channel."""
        try:
            self._call("conversations.invite", None, {"channel": channel, "users": user})
        except SlackRequestError as exc:
            if exc.error == "already_in_channel":
                return False
            raise
        return True

    def archive_channel(self, channel: str) -> bool:
        """conversations.archive; False when the channel was archived already."""
        try:
            self._call("conversations.archive", None, {"channel": channel})
        except SlackRequestError as exc:
            if exc.error == "already_archived":
                return False
            raise
        return True
