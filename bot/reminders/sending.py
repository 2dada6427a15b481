"""The one narrow door reminders post through: a reply in a card's thread, optionally broadcast.

The runtime hands in whatever implements `ThreadReplies`; today `GatewayReplies` over the gateway (whose
per-channel pacing every other post shares). Posting through another layer is a change of that one line.
"""

from __future__ import annotations

from typing import Protocol

from bot.slack.gateway import SlackGateway
from bot.slack.ids import REMINDER_METADATA_EVENT_TYPE
from bot.slack.payload import MessagePayload

MAX_PAGES = 10


class ThreadReplies(Protocol):
    def post_reply(self, channel: str, thread_ts: str, payload: MessagePayload, *, broadcast: bool) -> str:
        """Reply under `thread_ts` (paced like every post to `channel`); returns the reply's ts.

        Raises `SlackError`: `SlackRateLimitedError` or `SlackRequestError` when Slack kept nothing,
        `SlackPermanentError` when it never will, anything else when it may have kept it."""
        ...

    def find_reminder(self, channel: str, thread_ts: str, step: int) -> str | None:
        """The ts of step `step`'s reminder in the thread, if Slack has it (after a crash mid-send)."""
        ...


class GatewayReplies:
    """`ThreadReplies` straight over the gateway: `chat.postMessage` and `conversations.replies`."""

    def __init__(self, gateway: SlackGateway) -> None:
        self._gateway = gateway

    def post_reply(self, channel: str, thread_ts: str, payload: MessagePayload, *, broadcast: bool) -> str:
        return self._gateway.post_message(channel, payload, thread_ts=thread_ts, broadcast=broadcast)

    def find_reminder(self, channel: str, thread_ts: str, step: int) -> str | None:
        replies = self._gateway.thread_payloads(
            channel, thread_ts, REMINDER_METADATA_EVENT_TYPE, max_pages=MAX_PAGES
        )
        for ts, payload in replies:
            if payload.get("thread_ts") == thread_ts and payload.get("step") == step:
                return ts
        return None
