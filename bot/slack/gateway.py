"""The bot's only door to the Slack Web API: pacing per channel, retries, errors translated once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.errors import (
    SlackError,
    SlackPermanentError,
    SlackRateLimitedError,
    SlackRequestError,
    SlackUnavailableError,
)
from bot.metrics import Metrics
from bot.slack.ids import DIGEST_METADATA_EVENT_TYPE, METADATA_EVENT_TYPE
from bot.slack.payload import MessagePayload
from bot.slack.profiles import SlackProfile

log = logging.getLogger(__name__)

CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action"})
"""Refusals that say the bot cannot post to a channel at all (shown in /readyz until a post works)."""
PERMANENT_ERRORS = CHANNEL_ERRORS | frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "message_not_found",
        "cant_update_message",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "missing_scope",
    }
)
"""Refusals that no retry can turn into success: the outbox drops such work (logged, counted)."""


class CountedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's own 429 retry (after Retry-After), reporting every 429 it sees to `on_rate_limited`:
    the one it retries and the one after its retry is spent (slack_sdk asks it about both)."""

    def __init__(self, on_rate_limited: Callable[[str], None], max_retry_count: int = 1) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._on_rate_limited = on_rate_limited

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            self._on_rate_limited(request.url.rsplit("/", 1)[-1])
        return bool(super().can_retry(state=state, request=request, response=response, error=error))


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


def build_web_client(
    token: str, base_url: str, *, timeout: int = 15, on_rate_limited: Callable[[str], None] | None = None
) -> WebClient:
    """A WebClient that retries a dropped connection, one 5xx and one 429 (after its Retry-After)."""
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    rate_limits: RateLimitErrorRetryHandler = (
        CountedRateLimitRetryHandler(on_rate_limited)
        if on_rate_limited is not None
        else RateLimitErrorRetryHandler(max_retry_count=1)
    )
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=1),
        ServerErrorRetryHandler(max_retry_count=1),
        rate_limits,
    ]
    return client


LANDED_GAP = 0.9
"""After a write returns, the next to its channel waits at least this share of the interval."""


class ChannelPacer:
    """Keeps writes to one channel about `interval` seconds apart (Slack: ~1 message/s/channel)."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        if self._interval <= 0:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self._interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)

    def landed(self, channel: str) -> None:
        """A write to `channel` just returned: the next one also waits nine tenths of `interval` from now,
        so a write held up (a 429 the client retried after its Retry-After, a slow answer) is not followed
        at once by the next, which Slack would refuse too (and so on down the channel's queue)."""
        if self._interval <= 0:
            return
        with self._lock:
            after = self._clock() + LANDED_GAP * self._interval
            self._next[channel] = max(self._next.get(channel, 0.0), after)

    def ready_in(self, channel: str) -> float:
        """Seconds until a write to `channel` would go without waiting (0: now)."""
        if self._interval <= 0:
            return 0.0
        with self._lock:
            return max(0.0, self._next.get(channel, 0.0) - self._clock())

    def hold(self, channel: str, seconds: float) -> None:
        """After a 429, nothing more goes to the channel for `seconds`."""
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), self._clock() + seconds)


class SlackGateway:
    def __init__(self, client: WebClient, metrics: Metrics, *, pace_seconds: float = 1.0) -> None:
        self.client = client
        self._metrics = metrics
        self._pacer = ChannelPacer(pace_seconds)
        self._problems_lock = threading.Lock()
        self._channel_problems: dict[str, str] = {}

    def _call(self, method: str, pace: str | None, params: dict[str, Any]) -> Mapping[str, Any]:
        """`pace` names the channel the call writes to (paced), None for reads."""
        if pace is not None:
            self._pacer.wait(pace)
        try:
            if method.startswith(("chat.", "views.")):
                response = self.client.api_call(method, json=params)
            else:
                response = self.client.api_call(method, params=params)
        except SlackApiError as exc:
            raise self._translate(method, pace, exc, params.get("channel")) from exc
        except OSError as exc:
            self._metrics.slack_calls.labels(method=method, result="unreachable").inc()
            raise SlackUnavailableError(f"Slack is unreachable ({exc})", method=method) from exc
        if pace is not None:
            self._pacer.landed(pace)
        self._metrics.slack_calls.labels(method=method, result="ok").inc()
        if pace is not None and self._channel_problems:
            with self._problems_lock:
                self._channel_problems.pop(pace, None)
        data: Mapping[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    def post_ready_in(self, channel: str) -> float:
        """Seconds until a new message to `channel` keeps Slack's pace without waiting (0: now)."""
        return self._pacer.ready_in(channel)

    def channel_problems(self) -> dict[str, str]:
        """Channels Slack said the bot cannot post to (channel -> Slack's error), until a post works."""
        with self._problems_lock:
            return dict(self._channel_problems)

    def _translate(
        self, method: str, channel: str | None, exc: SlackApiError, target: object = None
    ) -> SlackError:
        status = exc.response.status_code
        error = str(exc.response.get("error", "")) if isinstance(exc.response.data, dict) else ""
        if status == 429:
            self._metrics.slack_calls.labels(method=method, result="ratelimited").inc()
            retry_after = float(
                exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1))
            )
            if channel is not None:
                self._pacer.hold(channel, retry_after)
            return SlackRateLimitedError(
                f"Slack is rate-limiting {method}; retry in {retry_after:.0f} s",
                retry_after=retry_after,
                method=method,
            )
        if status >= 500:
            self._metrics.slack_calls.labels(method=method, result="server_error").inc()
            return SlackUnavailableError(f"Slack answered HTTP {status} to {method}", method=method)
        self._metrics.slack_calls.labels(method=method, result="error").inc()
        if error in CHANNEL_ERRORS and isinstance(target, str):
            with self._problems_lock:
                self._channel_problems[target] = error
        if error in PERMANENT_ERRORS:
            return SlackPermanentError(f"Slack refused {method}: {error}", method=method, error=error)
        return SlackRequestError(f"Slack refused {method}: {error or status}", method=method, error=error)

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
        cursor: str | None = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"channel": channel, "limit": 200, "include_all_metadata": "true"}
            if oldest:
                params["oldest"] = oldest
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.history", None, params)
            for message in data.get("messages", []):
                found = _ours(message, incident_id)
                if found is not None:
                    return found
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
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
        cursor: str | None = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"channel": channel, "limit": 200, "include_all_metadata": "true"}
            if oldest:
                params["oldest"] = oldest
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.history", None, params)
            for message in data.get("messages", []):
                metadata = message.get("metadata") or {}
                found = metadata.get("event_payload") or {}
                if (
                    message.get("thread_ts") in (None, message.get("ts"))
                    and metadata.get("event_type") == event_type
                    and all(found.get(key) == value for key, value in payload.items())
                ):
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

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

    def user_profile(self, user_id: str) -> SlackProfile:
        """What users.info says about a person that decides whether their e-mail may map them."""
        data = self._call("users.info", None, {"user": user_id})
        user = data.get("user") or {}
        profile = user.get("profile") or {}
        email = profile.get("email")
        return SlackProfile(
            email=str(email) if email else None,
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
            deleted=bool(user.get("deleted")),
            email_confirmed=user.get("is_email_confirmed") is True,
        )

    def user_email(self, user_id: str) -> str | None:
        return self.user_profile(user_id).email

    def usergroup_members(self, group_id: str) -> list[str]:
        """The Slack user IDs in a user group (usergroups.users.list)."""
        data = self._call("usergroups.users.list", None, {"usergroup": group_id})
        return [str(user) for user in data.get("users") or []]

    def lookup_user_by_email(self, email: str) -> str | None:
        try:
            data = self._call("users.lookupByEmail", None, {"email": email})
        except SlackRequestError as exc:
            if exc.error == "users_not_found":
                return None
            raise
        user = data.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    def auth_test(self) -> Mapping[str, Any]:
        return self._call("auth.test", None, {})

    # -- answering a person ----------------------------------------------------------------------

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

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> str:
        """Open a modal (within 3 s of the click that gave `trigger_id`); returns the view's id."""
        data = self._call("views.open", None, {"trigger_id": trigger_id, "view": dict(view)})
        return str((data.get("view") or {}).get("id", ""))

    def update_view(self, view_id: str, view: Mapping[str, Any]) -> None:
        self._call("views.update", None, {"view_id": view_id, "view": dict(view)})

    def publish_home(self, user_id: str, view: Mapping[str, Any]) -> None:
        """views.publish: the person's Home tab becomes `view` (a view of type `home`)."""
        self._call("views.publish", None, {"user_id": user_id, "view": dict(view)})

    def unfurl(self, channel: str, ts: str, unfurls: Mapping[str, Mapping[str, Any]]) -> None:
        """chat.unfurl: previews (URL -> blocks) for links in a person's message; again to refresh them."""
        self._call("chat.unfurl", None, {"channel": channel, "ts": ts, "unfurls": dict(unfurls)})

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
