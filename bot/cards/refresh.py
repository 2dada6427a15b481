"""Redrawing an incident's cards after someone acted on it, and the snapshot that says what they show."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.cards.fingerprint import fingerprint
from bot.cards.routing import Routes
from bot.cards.sender import CardSender
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident
from bot.errors import CoralogixError
from bot.slack.blocks import MessagePayload
from bot.store import Store
from bot.store.rows import MessageKind, MessageRow, Snapshot

log = logging.getLogger(__name__)


def snapshot_of(
    incident: Incident, event_count: int, channels: Sequence[str], print_: str | None = None
) -> Snapshot:
    """What the bot remembers of an incident: what its cards show, events seen, the channels it goes to."""
    return Snapshot(
        incident_id=incident.id,
        status=incident.status,
        state=incident.state,
        severity=incident.severity,
        assignee=incident.assignee,
        muted=incident.is_muted,
        closed=incident.is_closed,
        last_state_update_time=incident.last_state_update_time,
        fingerprint=print_ or fingerprint(incident),
        seen_event_count=event_count,
        channels=tuple(channels),
    )


class CardRefresher:
    """What acting for people needs of the cards: draw one, redraw an incident's everywhere."""

    def __init__(self, *, store: Store, client: CoralogixBackend, sender: CardSender, routes: Routes) -> None:
        self._store = store
        self._client = client
        self.sender = sender
        self._routes = routes

    def card(self, incident: Incident) -> MessagePayload:
        return self.sender.card(incident)

    def refresh(self, incident: Incident, lines: Sequence[str]) -> list[MessageRow]:
        """Update every message of the incident and add `lines` to each card's thread; returns the
        messages it found (cards and digests), for whatever else the caller adds to their threads.

        The snapshot moves on first, so a poll running meanwhile does not describe the same change again.
        Its channels are the incident's routes now, as a poll would write them; the old snapshot is read
        only when Coralogix does not give the event count, to keep the count it had.
        """
        try:
            event_count = len(self._client.get_incident_events(incident.id))
        except CoralogixError as exc:
            log.warning("could not read the events of %s: %s", incident.id, exc)
            snapshot = self._store.get_snapshot(incident.id)
            event_count = snapshot.seen_event_count if snapshot else 0
        channels = [d.channel for d in self._routes.deliveries(incident)]
        self._store.upsert_snapshot(snapshot_of(incident, event_count, channels))
        posted = [m for m in self._store.messages_for(incident.id) if m.is_posted and m.ts]
        for message in posted:
            assert message.ts is not None
            if message.kind is MessageKind.DIGEST:
                self.sender.update_digest(message.channel, message.ts, {incident.id: incident})
                continue
            self.sender.update_card(incident, message)
            if lines:
                self.sender.thread(message, lines, f"action:{event_count}")
        return posted
