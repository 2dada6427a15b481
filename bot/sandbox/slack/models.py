"""What the Slack sandbox remembers: channels, users, messages, ephemerals, views and calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass
class SlackChannel:
    id: str
    name: str
    is_member: bool = True
    is_im: bool = False
    created: int = 1_700_000_000
    is_archived: bool = False
    creator: str = ""
    members: list[str] = field(default_factory=list)
    """The people in the channel (the bot's own membership is `is_member`)."""


@dataclass
class SlackUser:
    id: str
    name: str
    email: str | None
    real_name: str | None = None
    display_name: str = ""
    tz: str = "Europe/Berlin"
    tz_label: str = "Central European Time"
    tz_offset: int = 3600
    is_bot: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    deleted: bool = False
    is_email_confirmed: bool = True


@dataclass
class SlackMessage:
    """A message the bot posted; `thread_ts` is None for a top-level message."""

    channel: str
    ts: str
    text: str
    blocks: list[JsonObject]
    metadata: JsonObject | None
    thread_ts: str | None
    user: str
    edited: bool = False
    updates: int = 0
    reply_broadcast: bool = False
    deleted: bool = False
    edited_ts: str | None = None
    unfurls: dict[str, JsonObject] = field(default_factory=dict)
    """What the app attached to links in this message with chat.unfurl: URL -> blocks (or attachment)."""


@dataclass
class Ephemeral:
    """A message only `user` sees: from chat.postEphemeral or an ephemeral response_url reply."""

    channel: str | None
    user: str | None
    text: str
    blocks: list[JsonObject]
    message_ts: str
    thread_ts: str | None = None
    via: str = "chat.postEphemeral"


@dataclass
class OpenView:
    """One views.open / views.push / views.update call, as the view looked after it."""

    method: str
    id: str
    view: JsonObject
    trigger_id: str | None
    external_id: str | None
    hash: str
    root_view_id: str
    previous_view_id: str | None = None


@dataclass(frozen=True)
class RecordedCall:
    """One Web API request, its decoded parameters (token removed) and what the sandbox answered."""

    method: str
    params: JsonObject
    status: int
    ok: bool
    error: str | None
    at: float


@dataclass
class ResponseUrl:
    """A response_url handed out for a slash command or action, optionally bound to a message."""

    id: str
    channel: str | None = None
    message_ts: str | None = None
    user: str | None = None
    uses: int = 0
    bodies: list[JsonObject] = field(default_factory=list)
