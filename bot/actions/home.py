"""Which incidents a person's Home tab lists: those assigned to them, and the open ones of their routes.

"Their routes" are the routes whose `responders` name them (or a Slack user group they are in) and, for
routes without responders, the routes posting to a channel they are in. An incident of their routes is
listed only if they may act on it (no other route's responders own it), so every button shown works.
Reads are bounded: one page of incidents assigned to them, one page of the newest open incidents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.actions.authority import Authority, GroupLookupError
from bot.config import Route, RoutingConfig
from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.calls import ApiKey
from bot.domain import OPEN_STATUSES, Incident, IncidentFilter, Ordering, SortField
from bot.errors import BotError, SlackError
from bot.routing_file import matching_routes

log = logging.getLogger(__name__)

NEWEST_FIRST = Ordering(SortField.CREATED, descending=True)
ASSIGNED_PAGE = 50
OPEN_PAGE = 100
"""The newest open incidents looked through for a person's routes (older ones: `/cx list`)."""

ChannelsOf = Callable[[str], set[str]]
"""Slack user id -> the channels they are in (users.conversations; raises SlackError)."""


@dataclass(frozen=True)
class HomeIncidents:
    """What one person's Home tab lists, and anything that kept it from being complete."""

    assigned: tuple[Incident, ...] = ()
    routed: tuple[Incident, ...] = ()
    routes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


class HomeQueries:
    def __init__(
        self,
        client: CoralogixBackend,
        routing: RoutingConfig,
        authority: Authority,
        channels_of: ChannelsOf,
    ) -> None:
        self._client = client
        self._routing = routing
        self._authority = authority
        self._channels_of = channels_of

    def for_person(self, slack_id: str, coralogix_user: str, *, api_key: ApiKey | None) -> HomeIncidents:
        """The incidents for `slack_id` (mapped to `coralogix_user`), read with `api_key` (None: team key)."""
        notes: list[str] = []
        routes = self._routes_of(slack_id, notes)
        assigned = self._open(
            IncidentFilter(statuses=OPEN_STATUSES, assignees=(coralogix_user,)), api_key, notes
        )
        mine = {incident.id for incident in assigned}
        routed: list[Incident] = []
        if routes:
            names = {route.name for route in routes}
            for incident in self._open(IncidentFilter(statuses=OPEN_STATUSES), api_key, notes, OPEN_PAGE):
                if incident.id in mine or not names & {
                    r.name for r in matching_routes(incident, self._routing)
                }:
                    continue
                if self._authority.refusal_on(slack_id, incident) is None:
                    routed.append(incident)
        return HomeIncidents(tuple(assigned), tuple(routed), tuple(r.name for r in routes), tuple(notes))

    def _routes_of(self, slack_id: str, notes: list[str]) -> list[Route]:
        """The routes the person responds for, and the responder-less routes of channels they are in."""
        found: list[Route] = []
        channels: set[str] | None = None
        for route in self._routing.routes:
            if route.responders:
                try:
                    if self._authority.responds_for(slack_id, route):
                        found.append(route)
                except GroupLookupError as exc:
                    notes.append(str(exc))
                continue
            if channels is None:
                channels = self._channels(slack_id, notes)
            if channels & set(route.channels):
                found.append(route)
        return found

    def _channels(self, slack_id: str, notes: list[str]) -> set[str]:
        try:
            return self._channels_of(slack_id)
        except SlackError as exc:
            log.warning("users.conversations failed for %s: %s", slack_id, exc)
            notes.append(
                "I could not ask Slack which channels you are in, so routes without responders are left out."
            )
            return set()

    def _open(
        self, flt: IncidentFilter, api_key: ApiKey | None, notes: list[str], page_size: int = ASSIGNED_PAGE
    ) -> list[Incident]:
        try:
            page = self._client.list_incidents(flt, NEWEST_FIRST, page_size=page_size, api_key=api_key)
        except BotError as exc:
            log.warning("a Home tab's read failed: %s", exc)
            notes.append(f"Coralogix did not answer just now ({exc}); open the tab again to retry.")
            return []
        return [incident for incident in page.incidents if not incident.is_closed]
