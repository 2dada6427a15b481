"""The Slack Web API client, Slack's refusals sorted once, and the per-channel pacer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

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
