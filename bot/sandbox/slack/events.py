"""Events API deliveries as Slack makes them: the events (`app_home_opened`, `link_shared`), signed JSON
posts to the app's request URL, Slack's retries (`X-Slack-Retry-Num`) and the `url_verification` check."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.sandbox.slack.envelopes import event_callback
from bot.sandbox.slack.models import JsonObject, SlackMessage
from bot.sandbox.slack.workspace import SlackWorkspace

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
MAX_LINKS = 5
"""Slack names at most this many links of one message in a `link_shared` event."""
_URL = re.compile(r"https?://[^\s<>|]+")


def app_home_opened(workspace: SlackWorkspace, user_id: str, *, tab: str = "home") -> JsonObject:
    """A person opened the app's Home tab (or its Messages tab, `tab="messages"`)."""
    event: JsonObject = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    current = workspace.homes.current(user_id)
    if current is not None:  # Slack sends the view the person sees, when there is one
        event["view"] = {**current.view, "id": current.id, "hash": current.hash, "type": "home"}
    return event


def links_in(text: str) -> list[str]:
    """The URLs of a message's text, in order, once each (`<url|label>` as Slack writes links)."""
    return list(dict.fromkeys(url.rstrip(">") for url in _URL.findall(text)))


def link_shared(
    workspace: SlackWorkspace, message: SlackMessage, domains: Sequence[str]
) -> JsonObject | None:
    """The event for the links of `message` on the app's unfurl `domains` (a subdomain counts); None when
    it has none."""
    wanted = [d.lower() for d in domains]
    links = [
        {"domain": host, "url": url}
        for url in links_in(message.text)
        if (host := (urlsplit(url).hostname or "").lower())
        and any(host == d or host.endswith("." + d) for d in wanted)
    ][:MAX_LINKS]
    if not links:
        return None
    channel = next(c for c in workspace.channels() if c.id == message.channel)
    return {
        "type": "link_shared",
        "channel": message.channel,
        "is_bot_user_member": channel.is_member,
        "user": message.user,
        "message_ts": message.ts,
        "unfurl_id": f"{message.channel}.{message.ts}.{_digest(message.text)}",
        "source": "conversations_history",
        "links": links,
        "event_ts": message.ts,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of a request body."""
    return (
        "v0="
        + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    )


@dataclass(frozen=True)
class Delivery:
    """One post of an event to the app: what was sent, on which attempt, and what the app answered."""

    payload: JsonObject
    retry_num: int
    status: int | None
    body: str

    @property
    def event_id(self) -> str:
        return str(self.payload.get("event_id", ""))


class EventSender:
    """Posts Events API requests to the app's request URL, signed with its signing secret."""

    def __init__(
        self, workspace: SlackWorkspace, url: str, signing_secret: str, *, timeout: float = 10.0
    ) -> None:
        self.workspace = workspace
        self.url = url
        self._secret = signing_secret
        self._timeout = timeout

    def send(self, event: JsonObject) -> Delivery:
        """Deliver `event` in its `event_callback` wrapper, first attempt."""
        return self.post(event_callback(self.workspace.team_id, self.workspace.app_id, event))

    def retry(self, delivery: Delivery, reason: str = "http_timeout") -> Delivery:
        """Deliver the same payload again, as Slack does when it did not see the last one acknowledged."""
        return self.post(delivery.payload, retry_num=delivery.retry_num + 1, reason=reason)

    def url_verification(self, challenge: str) -> Delivery:
        """The check Slack makes when the request URL is saved in the app's settings."""
        return self.post(
            {"token": "verification-token-unused", "challenge": challenge, "type": "url_verification"}
        )

    def post(self, payload: JsonObject, *, retry_num: int = 0, reason: str = "") -> Delivery:
        body = json.dumps(payload).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(self._secret, stamp, body),
        }
        if retry_num:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 - the app's URL
                return Delivery(payload, retry_num, answer.status, answer.read().decode(errors="replace"))
        except urllib.error.HTTPError as exc:
            return Delivery(payload, retry_num, exc.code, exc.read().decode(errors="replace"))
        except (urllib.error.URLError, OSError):
            return Delivery(payload, retry_num, None, "")
