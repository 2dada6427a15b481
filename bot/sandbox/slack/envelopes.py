"""Socket Mode frames as Slack sends them (`hello`, envelopes, `disconnect`), and the record of each
envelope the stand-in delivered: when, on which connection, and when (and how) the app acknowledged it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bot.sandbox.slack.models import JsonObject

SLASH_COMMANDS = "slash_commands"
INTERACTIVE = "interactive"
EVENTS_API = "events_api"
RESPONSE_PAYLOAD_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})
"""Interactive payloads whose ack may carry a response (Slack sets `accepts_response_payload`)."""


@dataclass
class Envelope:
    """One delivery; an unacknowledged Events API envelope is delivered again as a new one (a retry)."""

    envelope_id: str
    type: str
    payload: JsonObject
    accepts_response_payload: bool
    connection: int
    sent_at: float
    retry_attempt: int = 0
    retry_of: str | None = None
    acked_at: float | None = None
    ack_payload: JsonObject | None = None
    expired: bool = False
    retried: bool = field(default=False)

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at

    def frame(self) -> JsonObject:
        frame: JsonObject = {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == EVENTS_API:
            frame["retry_attempt"] = self.retry_attempt
            frame["retry_reason"] = "timeout" if self.retry_attempt else ""
        return frame


def new_envelope_id() -> str:
    return str(uuid.uuid4())


def hello_frame(app_id: str, num_connections: int, connection: int) -> JsonObject:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": f"applink-sandbox-{connection}",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": app_id},
    }


def disconnect_frame(reason: str, connection: int) -> JsonObject:
    """`reason`: `warning` (a refresh is coming), `refresh_requested` (reconnect now), `link_disabled`."""
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": f"applink-sandbox-{connection}"}}


def event_callback(team_id: str, app_id: str, event: JsonObject) -> JsonObject:
    """The Events API wrapper around `event`, as in an `events_api` envelope's payload."""
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(float(event.get("event_ts", 0) or 0)),
        "authorizations": [{"team_id": team_id, "is_bot": True}],
        "is_ext_shared_channel": False,
    }
