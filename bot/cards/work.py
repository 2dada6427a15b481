"""Slack work for incidents, typed: one dataclass per kind, and how each is kept in the outbox table.

The table stays as it was (a kind, a channel, a JSON payload); `to_outbox` and `from_outbox` are the only
places that know the payloads' shapes. Rows written before the kinds were typed ("post" and "update",
told apart by their payload's keys) still read as the work they stood for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.rows import JSONObject, NewOutboxItem, OutboxItem, OutboxKind


@dataclass(frozen=True, slots=True)
class PostCard:
    """Post the card of a claimed (incident, channel)."""

    incident_id: str
    mentions: tuple[str, ...] = ()
    verify: bool = False
    """An earlier attempt may have landed: look for it in the channel (message metadata) first."""
    since: datetime | None = None
    """When the post was first claimed (a repaired crash): the channel is searched from a little before."""
    urgent: bool = False
    """A critical or error incident: its card goes before the channel's other waiting work."""


@dataclass(frozen=True, slots=True)
class UpdateCard:
    """Redraw the incident's card in the channel with the incident's state when it is sent."""

    incident_id: str


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """A reply in a card's thread: `lines` as one note, or `blocks` (with `lines` as its text)."""

    thread_ts: str
    lines: tuple[str, ...]
    incident_id: str | None = None
    broadcast: bool = False
    """Also show the reply in the channel (Slack's reply_broadcast)."""
    blocks: tuple[dict[str, Any], ...] = ()
    verify: bool = False
    """An earlier attempt may have landed: look for its marks in the thread (message metadata) first."""


@dataclass(frozen=True, slots=True)
class PostDigest:
    """Post one storm digest for these claimed incidents."""

    incident_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpdateDigest:
    """Redraw the digest at `ts` with its members' current state."""

    ts: str


Work = PostCard | UpdateCard | ThreadReply | PostDigest | UpdateDigest

EDITS = 0
"""Card and digest updates: chat.update is not paced by Slack's posting limit, so they go first."""
URGENT_POSTS = 1
"""New cards of critical and error incidents."""
POSTS = 2
"""Other new cards, and storm digests."""
THREADS = 3
"""Thread replies."""


def priority_of(work: Work) -> int:
    """Where the work stands in its channel's queue: lower goes first."""
    match work:
        case UpdateCard() | UpdateDigest():
            return EDITS
        case PostCard(urgent=urgent):
            return URGENT_POSTS if urgent else POSTS
        case PostDigest():
            return POSTS
        case ThreadReply():
            return THREADS


def dedupe_key(work: Work, channel: str, key: str = "") -> str:
    """One queued item per piece of work: the same card is never queued twice for a channel."""
    match work:
        case PostCard(incident_id=incident_id):
            return f"post:{incident_id}:{channel}"
        case UpdateCard(incident_id=incident_id):
            return f"update:{incident_id}:{channel}"
        case ThreadReply(incident_id=incident_id):
            return f"thread:{incident_id}:{channel}:{key}"
        case PostDigest(incident_ids=ids):
            return f"digest:{channel}:{min(ids)}"
        case UpdateDigest(ts=ts):
            return f"digest-update:{channel}:{ts}"


def mark_of(item: OutboxItem) -> str:
    """What names a queued item in Slack's message metadata (its dedupe key), to find it after a crash."""
    return item.dedupe_key or f"outbox:{item.id}"


def incident_of(work: Work) -> str | None:
    match work:
        case PostCard(incident_id=incident_id) | UpdateCard(incident_id=incident_id):
            return incident_id
        case ThreadReply(incident_id=incident_id):
            return incident_id
        case _:
            return None


def to_outbox(
    work: Work, channel: str, *, key: str = "", not_before: datetime | None = None
) -> NewOutboxItem:
    kind, payload = _encode(work)
    return NewOutboxItem(
        kind=kind,
        channel=channel,
        payload=payload,
        dedupe_key=dedupe_key(work, channel, key),
        incident_id=incident_of(work),
        not_before=not_before,
        priority=priority_of(work),
        coalesce=isinstance(work, UpdateCard | UpdateDigest),  # only the latest state is sent, once
    )


def _encode(work: Work) -> tuple[OutboxKind, JSONObject]:
    match work:
        case PostCard():
            since = work.since.isoformat() if work.since else None
            post: JSONObject = {"mentions": list(work.mentions), "verify": work.verify, "since": since}
            return OutboxKind.CARD, post | ({"urgent": True} if work.urgent else {})
        case UpdateCard():
            return OutboxKind.CARD_UPDATE, {}
        case ThreadReply():
            payload: JSONObject = {"lines": list(work.lines), "thread_ts": work.thread_ts}
            if work.broadcast:
                payload["broadcast"] = True
            if work.blocks:
                payload["blocks"] = list(work.blocks)
            if work.verify:
                payload["verify"] = True
            return OutboxKind.THREAD, payload
        case PostDigest():
            return OutboxKind.DIGEST, {"digest": list(work.incident_ids)}
        case UpdateDigest():
            return OutboxKind.DIGEST_UPDATE, {"digest_ts": work.ts}


class UnknownWorkError(ValueError):
    """An outbox row no handler knows (a kind of a newer or older bot): dropped, never retried."""


def from_outbox(item: OutboxItem) -> Work:
    """The typed work an outbox row stands for, old rows included; `UnknownWorkError` when there is none."""
    payload, kind = item.payload, item.kind
    if kind is OutboxKind.POST:  # before typed kinds: a digest named its members, a card did not
        kind = OutboxKind.DIGEST if "digest" in payload else OutboxKind.CARD
    elif kind is OutboxKind.UPDATE:
        kind = OutboxKind.DIGEST_UPDATE if "digest_ts" in payload else OutboxKind.CARD_UPDATE
    try:
        if kind is OutboxKind.CARD and item.incident_id:
            since = payload.get("since")
            return PostCard(
                incident_id=item.incident_id,
                mentions=tuple(str(m) for m in payload.get("mentions", [])),
                verify=bool(payload.get("verify", False)),
                since=datetime.fromisoformat(str(since)) if since else None,
                urgent=bool(payload.get("urgent", False)),
            )
        if kind is OutboxKind.CARD_UPDATE and item.incident_id:
            return UpdateCard(item.incident_id)
        if kind is OutboxKind.THREAD:
            return ThreadReply(
                thread_ts=str(payload["thread_ts"]),
                lines=tuple(str(line) for line in payload.get("lines", [])),
                incident_id=item.incident_id,
                broadcast=bool(payload.get("broadcast", False)),
                blocks=tuple(payload.get("blocks", [])),
                verify=bool(payload.get("verify", False)),
            )
        if kind is OutboxKind.DIGEST:
            return PostDigest(tuple(str(i) for i in payload["digest"]))
        if kind is OutboxKind.DIGEST_UPDATE:
            return UpdateDigest(str(payload["digest_ts"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnknownWorkError(f"unreadable {item.kind.value} payload: {exc}") from exc
    raise UnknownWorkError(f"no handler for outbox kind {item.kind.value}")
