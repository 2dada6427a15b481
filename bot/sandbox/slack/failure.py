"""The one way a sandbox Web API method says no: Slack's `{"ok": false, "error": code}`."""

from __future__ import annotations


class SlackMethodError(Exception):
    """A Slack error code, with optional `response_metadata.messages` lines as Slack gives them."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
