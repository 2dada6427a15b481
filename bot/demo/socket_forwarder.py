"""What a person does on the demo page, as Socket Mode envelopes (`incident-bot demo --socket-mode`): the
same forms the signed forwarder posts, sent over the stand-in's WebSocket, the ack read as the answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from bot.demo.forwarder import DEFAULT_TIMEOUT_SECONDS, BotReply
from bot.sandbox.slack import Envelope, NoSocketConnectionError, SocketModeServer
from bot.sandbox.slack.envelopes import EVENTS_API

POLL_SECONDS = 0.01


class SocketForwarder:
    """`post_form` as `SignedForwarder` has it: a slash command's fields, or `payload` of an interaction."""

    def __init__(self, server: SocketModeServer, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._server = server
        self._timeout = timeout
        self._idle = threading.Event()

    def post_form(self, fields: Mapping[str, str]) -> BotReply:
        try:
            if "payload" in fields:
                envelope = self._server.interaction(json.loads(fields["payload"]))
            else:
                envelope = self._server.slash_command(dict(fields))
        except NoSocketConnectionError:
            return BotReply(status=None, error="dispatch_failed")  # Slack's word when the app is away
        return self._answer(envelope)

    def post_event(self, payload: Mapping[str, Any]) -> BotReply:
        try:
            envelope = self._server.send_envelope(EVENTS_API, dict(payload))
        except NoSocketConnectionError:
            return BotReply(status=None, error="dispatch_failed")
        return self._answer(envelope)

    def _answer(self, envelope: Envelope) -> BotReply:
        deadline = time.monotonic() + self._timeout
        while not envelope.acked:
            if time.monotonic() > deadline:
                return BotReply(status=None, error="operation_timeout")
            self._idle.wait(POLL_SECONDS)
        payload = envelope.ack_payload
        if not payload:
            return BotReply(status=200)
        return BotReply(status=200, body=json.dumps(payload).encode(), content_type="application/json")
