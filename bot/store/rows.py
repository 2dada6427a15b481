"""What the store hands out: frozen dataclasses, never SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain import Severity, State, Status

JSONObject = dict[str, Any]


class MessageState(StrEnum):
    CLAIMED = "claimed"  # a replica is about to post; the Slack message may not exist yet
    POSTED = "posted"  # Slack accepted it and `ts` is known


class MessageKind(StrEnum):
    CARD = "card"  # the incident's own card
    DIGEST = "digest"  # one line among many in a storm digest (`ts` is the digest's)
    ROOM = "room"  # the incident's card in its war room (offers "Archive room" once closed)


class OutboxKind(StrEnum):
    """What an outbox item asks for; its payload's shape is `bot.cards.work`'s for that kind."""

    CARD = "card"  # post an incident's card
    CARD_UPDATE = "card_update"  # redraw an incident's card (chat.update)
    THREAD = "thread"  # a reply in a card's thread
    DIGEST = "digest"  # post a storm digest
    DIGEST_UPDATE = "digest_update"  # redraw a storm digest
    EPHEMERAL = "ephemeral"
    POST = "post"  # written before the kinds above: a card, or a digest when the payload names "digest"
    UPDATE = "update"  # written before the kinds above: a card, or a digest when it names "digest_ts"


@dataclass(frozen=True, slots=True)
class MessageRow:
    """The one Slack message of an incident in a channel."""

    incident_id: str
    channel: str
    state: MessageState
    ts: str | None
    thread_ts: str | None
    claimed_by: str | None
    claimed_at: datetime
    posted_at: datetime | None
    fingerprint: str | None
    event_count: int
    last_event_id: str | None
    updated_at: datetime
    kind: MessageKind = MessageKind.CARD
    folded: tuple[str, ...] = ()
    """Thread lines shown on the card instead of in its thread (see `OutboxWorker.fold`), oldest first."""

    @property
    def is_posted(self) -> bool:
        return self.state is MessageState.POSTED


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the bot last knew about an incident, to tell what changed since the previous poll."""

    incident_id: str
    status: Status
    state: State
    severity: Severity
    assignee: str | None = None
    muted: bool = False
    closed: bool = False
    last_state_update_time: datetime | None = None
    fingerprint: str | None = None
    seen_event_count: int = 0
    last_event_id: str | None = None
    channels: tuple[str, ...] = ()
    updated_at: datetime | None = None  # filled in by the store when None


@dataclass(frozen=True, slots=True)
class NewOutboxItem:
    """Slack work to queue; `dedupe_key` makes enqueueing the same work twice a no-op."""

    kind: OutboxKind
    channel: str
    payload: JSONObject
    dedupe_key: str | None = None
    incident_id: str | None = None
    not_before: datetime | None = None  # None: due at once
    priority: int = 2  # lower is sent first within a channel (see `bot.cards.work.priority_of`)
    coalesce: bool = False  # queued again while waiting: the one item is sent once more, not twice


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """Queued Slack work as claimed by `Store.due_items` (attempts already counts this claim)."""

    id: int
    kind: OutboxKind
    channel: str
    incident_id: str | None
    payload: JSONObject
    dedupe_key: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    priority: int = 2


@dataclass(frozen=True, slots=True)
class PersonalKey:
    """A user's own Coralogix API key, encrypted by the caller before it gets here."""

    slack_user_id: str
    encrypted_key: bytes
    coralogix_user: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CachedIdentity:
    """A cached Slack -> Coralogix lookup; `coralogix_user` None means "looked up, no match"."""

    slack_user_id: str
    coralogix_user: str | None
    email: str | None
    fetched_at: datetime
    ineligible: str | None = None
    """Why the profile's e-mail must not map them (guest, bot, deleted, unconfirmed), if so."""


class RoomState(StrEnum):
    CREATING = "creating"  # a replica won the claim and is asking Slack for the channel
    OPEN = "open"  # the channel exists
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class RoomRow:
    """The war room of an incident: one per incident, whichever replica was clicked."""

    incident_id: str
    state: RoomState
    channel: str | None
    name: str | None
    opened_by: str
    card_ts: str | None
    claimed_by: str
    claimed_at: datetime
    archived_by: str | None
    updated_at: datetime
