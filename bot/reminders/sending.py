"""The one narrow door reminders go through: a reply in a card's thread (optionally broadcast), its redraw,
and the reminders a thread holds.

The runtime hands in whatever implements `ThreadReplies`; today `GatewayReplies` over the gateway (whose
per-channel pacing every other post shares). Posting through another layer is a change of that one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

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

    def update_reply(self, channel: str, ts: str, payload: MessagePayload) -> None:
        """Redraw the reply `ts` (not paced: an edit posts nothing new). Raises `SlackError`."""
        ...

    def reminders_in(self, channel: str, thread_ts: str) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """(ts, metadata payload) of each reminder under `thread_ts`, oldest first. Raises `SlackError`."""
        ...


class GatewayReplies:
    """`ThreadReplies` straight over the gateway: `chat.postMessage` and `conversations.replies`."""

    def __init__(self, gateway: SlackGateway) -> None:
        self._gateway = gateway

    def post_reply(self, channel: str, thread_ts: str, payload: MessagePayload, *, broadcast: bool) -> str:
        return self._gateway.post_message(channel, payload, thread_ts=thread_ts, broadcast=broadcast)

    def update_reply(self, channel: str, ts: str, payload: MessagePayload) -> None:
        self._gateway.update_message(channel, ts, payload)

    def reminders_in(self, channel: str, thread_ts: str) -> Sequence[tuple[str, Mapping[str, Any]]]:
        replies = self._gateway.thread_payloads(
            channel, thread_ts, REMINDER_METADATA_EVENT_TYPE, max_pages=MAX_PAGES
        )
        return [(ts, payload) for ts, payload in replies if payload.get("thread_ts") == thread_ts]


def find_reminder(replies: ThreadReplies, channel: str, thread_ts: str, step: int) -> str | None:
    """The ts of step `step`'s reminder in the thread, if Slack has it (after a crash mid-send)."""
    for ts, payload in replies.reminders_in(channel, thread_ts):
        if payload.get("step") == step:
            return ts
    return None
