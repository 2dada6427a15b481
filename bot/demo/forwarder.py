"""Delivering a request to the bot's request URL the way Slack does: form-encoded, signed, time-limited."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from bot.demo.signing import signed_headers

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
DEFAULT_TIMEOUT_SECONDS = 10.0
"""Slack gives an app 3 s; the demo waits longer so a slow machine does not turn a click into an error."""


@dataclass(frozen=True)
class BotReply:
    """What the bot answered; `error` is Slack's name for a failed delivery (and `status` None then)."""

    status: int | None
    body: bytes = b""
    content_type: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def json_body(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def failure(self) -> str | None:
        """Slack's wording for a request the app did not take: None when it answered 200."""
        if self.error is not None:
            return self.error
        if self.status != 200:
            return f"http_status_{self.status}"
        return None


class Forwarder(Protocol):
    """How the demo page's actions reach the bot: signed HTTP posts, or Socket Mode envelopes."""

    def post_form(self, fields: Mapping[str, str]) -> BotReply: ...

    def post_event(self, payload: Mapping[str, Any]) -> BotReply:
        """An Events API payload (`event_callback`), as JSON."""
        ...


class SignedForwarder:
    """Posts form bodies to the bot's `/slack/events`, signed with the app's signing secret."""

    def __init__(
        self, events_url: str, signing_secret: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.events_url = events_url
        self._secret = signing_secret
        self._timeout = timeout

    def post_form(self, fields: Mapping[str, str]) -> BotReply:
        return self._post(urlencode(dict(fields)).encode(), "application/x-www-form-urlencoded")

    def post_event(self, payload: Mapping[str, Any]) -> BotReply:
        return self._post(json.dumps(dict(payload)).encode(), "application/json")

    def _post(self, body: bytes, content_type: str) -> BotReply:
        headers = {
            "Content-Type": content_type,
            "User-Agent": SLACK_USER_AGENT,
            **signed_headers(self._secret, body),
        }
        request = urllib.request.Request(  # noqa: S310 - the bot's own http URL
            self.events_url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - our URL
                return BotReply(
                    status=response.status,
                    body=response.read(),
                    content_type=response.headers.get("Content-Type", ""),
                )
        except urllib.error.HTTPError as exc:
            return BotReply(
                status=exc.code, body=exc.read(), content_type=exc.headers.get("Content-Type", "")
            )
        except TimeoutError:
            return BotReply(status=None, error="operation_timeout")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return BotReply(status=None, error="operation_timeout")
            return BotReply(status=None, error="dispatch_failed")
        except ConnectionError:
            return BotReply(status=None, error="dispatch_failed")
