"""Answering the one person who asked: through the request's response_url, else an ephemeral message."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import SlackError
from bot.slack.blocks import MessagePayload, error_message, notice_message
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """Where an answer for `user` goes; every method logs rather than raises when Slack refuses."""

    gateway: SlackGateway
    user: str
    response_url: str | None = None
    channel: str | None = None

    @classmethod
    def to_request(cls, gateway: SlackGateway, body: Mapping[str, Any]) -> Reply:
        """For a slash command (`user_id`, `channel_id`) or an interaction (`user.id`, `channel.id`)."""
        user = body.get("user_id") or _id(body.get("user")) or ""
        channel = body.get("channel_id") or _id(body.get("channel")) or None
        response_url = body.get("response_url") or None
        return cls(gateway, str(user), str(response_url) if response_url else None, channel and str(channel))

    def send(self, payload: MessagePayload) -> None:
        if self.response_url:
            try:
                self.gateway.respond(self.response_url, payload)
                return
            except SlackError as exc:
                log.warning("reply through the response_url failed: %s", exc)
        if self.channel:
            try:
                self.gateway.post_ephemeral(self.channel, self.user, payload)
                return
            except SlackError as exc:
                log.warning("ephemeral reply to %s in %s failed: %s", self.user, self.channel, exc)
        log.warning("no way left to answer %s: %s", self.user, payload.text)

    def notice(self, text: str) -> None:
        self.send(notice_message(text))

    def error(self, text: str) -> None:
        self.send(error_message(text))


def _id(value: object) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found else None
    return None
