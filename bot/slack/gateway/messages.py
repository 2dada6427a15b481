"""Messages: posting, updating and finding the bot's cards, thread replies, ephemeral answers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.webhook import WebhookClient

from bot.errors import (
    SlackRateLimitedError,
    SlackRequestError,
    SlackUnavailableError,
)
from bot.slack.gateway.core import GatewayCore
from bot.slack.ids import DIGEST_METADATA_EVENT_TYPE, METADATA_EVENT_TYPE
from bot.slack.payload import MessagePayload


@dataclass(frozen=True)
class FoundMessage:
    ts: str
    digest: bool


def _ours(message: Mapping[str, Any], incident_id: str) -> FoundMessage | None:
    if message.get("thread_ts") not in (None, message.get("ts")):
        return None  # a thread reply
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("incident_id") == incident_id:
        return FoundMessage(str(message["ts"]), digest=False)
    if metadata.get("event_type") == DIGEST_METADATA_EVENT_TYPE and incident_id in payload.get(
        "incident_ids", []
    ):
        return FoundMessage(str(message["ts"]), digest=True)
    return None


class MessageCalls(GatewayCore):
    def post_message(
        self, channel: str, payload: MessagePayload, *, thread_ts: str | None = None, broadcast: bool = False
    ) -> str:
        """Posts and returns the new message's ts; `broadcast` shows a thread reply in the channel too."""
        params: dict[str, Any] = {
            "channel": channel,
            "text": payload.text,
            "blocks": payload.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if payload.metadata is not None:
            params["metadata"] = payload.metadata
        if thread_ts is not None:
            params["thread_ts"] = thread_ts
            if broadcast:
                params["reply_broadcast"] = True
        data = self._call("chat.postMessage", channel, params)
        return str(data["ts"])

    def update_message(self, channel: str, ts: str, payload: MessagePayload) -> None:
        params: dict[str, Any] = {
            "channel": channel,
            "ts": ts,
            "text": payload.text,
            "blocks": payload.blocks,
        }
        if payload.metadata is not None:
            params["metadata"] = payload.metadata
        self._call("chat.update", None, params)  # updates are not new messages: no pacing

    def find_message_by_metadata(
        self, channel: str, incident_id: str, *, oldest: str | None = None, max_pages: int = 10
    ) -> FoundMessage | None:
        """Our message for `incident_id` in `channel` (its card, or a storm digest naming it), found
        through message metadata in the channel's history since `oldest` (a Slack ts)."""
        for message in self._history(channel, oldest, max_pages):
            found = _ours(message, incident_id)
            if found is not None:
                return found
        return None

    def find_message_by_event(
        self,
        channel: str,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        oldest: str | None = None,
        max_pages: int = 10,
    ) -> str | None:
        """The ts of a top-level message in `channel` whose metadata is `event_type` with every key of
        `payload` as given, from the channel's history since `oldest` (a Slack ts); None when none is."""
        for message in self._history(channel, oldest, max_pages):
            metadata = message.get("metadata") or {}
            found = metadata.get("event_payload") or {}
            if (
                message.get("thread_ts") in (None, message.get("ts"))
                and metadata.get("event_type") == event_type
                and all(found.get(key) == value for key, value in payload.items())
            ):
                return str(message["ts"])
        return None

    def _history(self, channel: str, oldest: str | None, max_pages: int) -> Iterator[Mapping[str, Any]]:
        """The channel's messages since `oldest`, newest first, a page read only when the last is used up."""
        cursor: str | None = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"channel": channel, "limit": 200, "include_all_metadata": "true"}
            if oldest:
                params["oldest"] = oldest
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.history", None, params)
            yield from data.get("messages", [])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    def thread_payloads(
        self, channel: str, thread_ts: str, event_type: str, *, max_pages: int = 10
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(ts, metadata payload) of each reply under `thread_ts` whose metadata is `event_type`, oldest
        first, a page read only when the last is used up."""
        cursor: str | None = None
        for _ in range(max_pages):
            data = self.thread_replies(channel, thread_ts, cursor=cursor)
            for message in data.get("messages", []):
                metadata = message.get("metadata") or {}
                if message.get("ts") != thread_ts and metadata.get("event_type") == event_type:
                    yield str(message["ts"]), metadata.get("event_payload") or {}
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    def thread_replies(self, channel: str, thread_ts: str, *, cursor: str | None = None) -> Mapping[str, Any]:
        """One page of a thread (conversations.replies), with every message's metadata."""
        params: dict[str, Any] = {
            "channel": channel,
            "ts": thread_ts,
            "limit": 200,
            "include_all_metadata": "true",
        }
        if cursor:
            params["cursor"] = cursor
        return self._call("conversations.replies", None, params)

    def post_ephemeral(
        self, channel: str, user: str, payload: MessagePayload, *, thread_ts: str | None = None
    ) -> None:
        """A message only `user` sees, in `channel` (the bot must be able to post there)."""
        params: dict[str, Any] = {
            "channel": channel,
            "user": user,
            "text": payload.text,
            "blocks": payload.blocks,
        }
        if thread_ts is not None:
            params["thread_ts"] = thread_ts
        self._call("chat.postEphemeral", None, params)

    def respond(
        self,
        response_url: str,
        payload: MessagePayload,
        *,
        in_channel: bool = False,
        replace_original: bool = False,
        timeout: int = 10,
    ) -> None:
        """Answer through a response_url (slash commands, message actions); ephemeral unless `in_channel`."""
        body: dict[str, Any] = {
            "text": payload.text,
            "blocks": payload.blocks,
            "response_type": "in_channel" if in_channel else "ephemeral",
            "replace_original": replace_original,
        }
        method = "response_url"
        try:
            response = WebhookClient(response_url, timeout=timeout).send_dict(body)
        except OSError as exc:
            self._metrics.slack_calls.labels(method=method, result="unreachable").inc()
            raise SlackUnavailableError(f"Slack is unreachable ({exc})", method=method) from exc
        if response.status_code == 429:
            self._metrics.slack_calls.labels(method=method, result="ratelimited").inc()
            retry_after = float(response.headers.get("Retry-After", response.headers.get("retry-after", 1)))
            raise SlackRateLimitedError(
                "Slack is rate-limiting replies; retry later", retry_after=retry_after, method=method
            )
        if response.status_code >= 500:
            self._metrics.slack_calls.labels(method=method, result="server_error").inc()
            raise SlackUnavailableError(f"Slack answered HTTP {response.status_code}", method=method)
        if response.status_code != 200:
            self._metrics.slack_calls.labels(method=method, result="error").inc()
            error = (response.body or "").strip()[:100]
            raise SlackRequestError(
                f"Slack refused the reply: {error or response.status_code}", method=method, error=error
            )
        self._metrics.slack_calls.labels(method=method, result="ok").inc()
