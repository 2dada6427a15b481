"""Requests exactly as Slack sends them to a bot's request URL: form bodies, JSON payloads, v0 signatures."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.sandbox.slack import SlackMessage, SlackWorkspace
from tests.e2e.harness import SIGNING_SECRET

FORM = "application/x-www-form-urlencoded"
TEAM = {"id": "T0SANDBOX", "domain": "sandbox"}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Posts signed requests to `url` (the bot's /slack/events) over one kept-alive connection per call."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.secret = secret

    def post(
        self,
        body: bytes,
        *,
        timestamp: str | None = None,
        signed_with: str | None = None,
        signature_header: str | None = None,
    ) -> Answer:
        stamp = timestamp if timestamp is not None else str(int(time.time()))
        sig = (
            signature_header
            if signature_header is not None
            else signature(signed_with or self.secret, stamp, body)
        )
        return self.post_raw(
            body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig}
        )

    def post_raw(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Posts `body` with exactly these headers (plus Slack's User-Agent): for malformed requests."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
        started = time.perf_counter()
        try:
            connection.request(
                "POST",
                parts.path,
                body=body,
                headers={"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **headers},
            )
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            return Answer(response.status, text, time.perf_counter() - started)
        finally:
            connection.close()


def slash_command(
    workspace: SlackWorkspace,
    text: str,
    *,
    user: str,
    channel: str = "C0INCIDENTS",
    command: str = "/cx",
) -> tuple[bytes, str, str]:
    """A slash command body as Slack sends it, with a fresh response_url and trigger_id (also returned)."""
    response_url = workspace.new_response_url(channel=channel, user=user)
    trigger_id = workspace.new_trigger_id()
    body = urlencode(
        {
            "token": "verification-token-unused",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": "incidents",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0SANDBOX",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    ).encode()
    return body, response_url, trigger_id


def element_of(message: SlackMessage, action_id: str) -> tuple[dict[str, Any], str]:
    """The interactive element `action_id` of a message, and the block_id of its actions block."""
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element, str(block.get("block_id", ""))
    raise AssertionError(f"no {action_id} on the message {message.ts} in {message.channel}")


def block_actions(
    workspace: SlackWorkspace,
    message: SlackMessage,
    action_id: str,
    *,
    user: str,
    selected_user: str | None = None,
) -> tuple[bytes, str]:
    """A click on `action_id` of `message` as Slack sends it; returns the body and its response_url."""
    element, block_id = element_of(message, action_id)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["text"] = element["text"]
        action["value"] = element.get("value", "")
    if selected_user is not None:
        action["selected_user"] = selected_user
    response_url = workspace.new_response_url(channel=message.channel, message_ts=message.ts, user=user)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0SANDBOX",
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
        },
        "trigger_id": workspace.new_trigger_id(),
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": message.channel, "name": message.channel.lower()},
        "message": {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
            "metadata": message.metadata,
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    return _payload_body(payload), response_url


def view_submission(view: Mapping[str, Any], view_id: str, *, user: str, values: Mapping[str, Any]) -> bytes:
    """Submitting the modal `view` (as the bot opened it) with `values` as its state."""
    payload = {
        "type": "view_submission",
        "team": TEAM,
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0SANDBOX",
        "token": "verification-token-unused",
        "trigger_id": f"{int(time.time())}.1.submit",
        "view": {
            **view,
            "id": view_id,
            "team_id": TEAM["id"],
            "state": {"values": dict(values)},
            "hash": "1.abc",
            "app_id": "A0SANDBOX",
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_body(payload)


def _payload_body(payload: Mapping[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
