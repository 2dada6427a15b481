"""The gateway's core: one paced, counted call, and Slack's errors translated into the bot's."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import (
    SlackError,
    SlackPermanentError,
    SlackRateLimitedError,
    SlackRequestError,
    SlackUnavailableError,
)
from bot.metrics import Metrics
from bot.slack.gateway.web import CHANNEL_ERRORS, PERMANENT_ERRORS, ChannelPacer


class GatewayCore:
    """Every call goes through `_call`; the mixins of `SlackGateway` add the methods by subject."""

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
