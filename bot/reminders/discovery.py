"""New series: cards (and storm digests) of unacknowledged incidents whose route has `remind`.

The store says which posted messages have no series yet; Coralogix (one batch read per hundred) says
when each incident was created and which routes it matches. The first route in file order that has
`remind` and posts to the message's channel sets the schedule; a message no such route covers gets a
finished series, so it is looked at once. When Coralogix fails, discovery waits (`REMINDER_DISCOVERY`
backoff) before reading again; due steps of known series are posted meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.backoff import REMINDER_DISCOVERY, Backoff
from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident
from bot.errors import CoralogixError
from bot.reminders.schedule import Cadence, next_due
from bot.routing_file import Route, RoutingConfig, matching_routes
from bot.store import Store
from bot.store.reminders import ReminderSeries
from bot.store.rows import MessageKind

log = logging.getLogger(__name__)

BATCH = 100


def reminding_channels(routing: RoutingConfig) -> list[str]:
    """Every channel some route with `remind` posts to."""
    return sorted({channel for route in routing.routes if route.remind for channel in route.channels})


def reminding_route(incidents: Sequence[Incident], channel: str, routing: RoutingConfig) -> Route | None:
    """The first route (file order) with `remind` that posts to `channel` and matches one of `incidents`."""
    matched = {route.name for incident in incidents for route in matching_routes(incident, routing)}
    for route in routing.routes:
        if route.remind is not None and channel in route.channels and route.name in matched:
            return route
    return None


class Discovery:
    def __init__(
        self,
        *,
        store: Store,
        client: CoralogixBackend,
        routing: RoutingConfig,
        clock: Callable[[], datetime],
        backoff: Backoff = REMINDER_DISCOVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._client = client
        self._routing = routing
        self._clock = clock
        self._channels = reminding_channels(routing)
        self._backoff = backoff
        self._monotonic = monotonic
        self._failures = 0
        self._resume_at = 0.0

    def run(self) -> int:
        """Start the series of messages that have none yet; returns how many were started."""
        if not self._channels or self._monotonic() < self._resume_at:
            return 0
        found = self._store.unreminded_messages(self._channels)
        if not found:
            return 0
        groups: dict[tuple[str, str], set[str]] = defaultdict(set)
        for message in found:
            if message.kind is MessageKind.DIGEST:
                # every line of the digest, not only those this page happened to return
                members = self._store.messages_at(message.channel, message.ts)
                groups[(message.channel, message.ts)].update(row.incident_id for row in members)
            else:
                groups[(message.channel, message.ts)].add(message.incident_id)
        wanted = sorted({incident_id for ids in groups.values() for incident_id in ids})
        try:
            incidents = self._fetch(wanted)
        except CoralogixError as exc:
            delay = self._backoff.delay(self._failures)
            self._failures += 1
            self._resume_at = self._monotonic() + delay
            log.warning(
                "reminders: could not read %d incidents from Coralogix (%s); next try in %.0f s",
                len(wanted),
                exc,
                delay,
            )
            return 0
        self._failures = 0
        now = self._clock()
        series = [
            self._series(channel, ts, [incidents[i] for i in sorted(ids) if i in incidents], now)
            for (channel, ts), ids in groups.items()
        ]
        return self._store.add_reminder_series(series, now)

    def _fetch(self, ids: Sequence[str]) -> Mapping[str, Incident]:
        incidents: dict[str, Incident] = {}
        for start in range(0, len(ids), BATCH):
            incidents.update(self._client.batch_get_incidents(ids[start : start + BATCH]).found)
        return incidents

    def _series(self, channel: str, ts: str, incidents: Sequence[Incident], now: datetime) -> ReminderSeries:
        route = reminding_route(incidents, channel, self._routing)
        created = min((i.created_at for i in incidents if i.created_at is not None), default=now)
        titles = {i.id: i.title or i.id for i in incidents}
        if route is None or route.remind is None:
            return ReminderSeries(channel, ts, None, titles, created)  # nothing to remind: finished
        due = next_due(Cadence.of(route.remind), created, 0)
        return ReminderSeries(channel, ts, route.name, titles, created, next_due_at=due)
