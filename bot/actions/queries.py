"""The read side of the slash command: a page of incidents, one incident with its events, counts.

Reads are made with the person's own key when they connected one (so they see what Coralogix lets them
see), else with the team key; nobody needs to be mapped to read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.actions.references import IncidentFinder, Missing
from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.calls import ApiKey
from bot.domain import (
    AggregationGroup,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    Ordering,
    SortField,
)
from bot.errors import CoralogixError
from bot.personal_keys import PersonalKeyError, PersonalKeys

log = logging.getLogger(__name__)

NEWEST_FIRST = Ordering(SortField.CREATED, descending=True)
MAX_LATEST_EVENTS = 10


@dataclass(frozen=True)
class IncidentListPage:
    incidents: tuple[Incident, ...]
    page: int
    total: int | None
    has_more: bool


@dataclass(frozen=True)
class IncidentDetails:
    incident: Incident
    events: tuple[IncidentEvent, ...]


class IncidentQueries:
    def __init__(self, client: CoralogixBackend, finder: IncidentFinder, keys: PersonalKeys) -> None:
        self._client = client
        self._finder = finder
        self._keys = keys

    def backend_api(self) -> str | None:
        """The API in use ("incidents" or "cases"); None while auto-detection waits for Coralogix."""
        try:
            return self._client.api
        except CoralogixError:
            return None

    def read_key(self, slack_id: str) -> ApiKey | None:
        """The person's own key if they have a readable one, else None (the team key)."""
        try:
            return self._keys.key_for(slack_id).api_key
        except PersonalKeyError:
            return None

    def page(self, flt: IncidentFilter, *, limit: int, page: int, api_key: ApiKey | None) -> IncidentListPage:
        """Page `page` (from 1) of `limit` incidents, newest first, walking the server's page tokens."""
        token: str | None = None
        for _ in range(page - 1):
            skipped = self._client.list_incidents(
                flt, NEWEST_FIRST, page_size=limit, page_token=token, api_key=api_key
            )
            token = skipped.next_page_token
            if token is None:
                return IncidentListPage((), page, skipped.total_size, has_more=False)
        found = self._client.list_incidents(
            flt, NEWEST_FIRST, page_size=limit, page_token=token, api_key=api_key
        )
        return IncidentListPage(
            found.incidents, page, found.total_size, has_more=found.next_page_token is not None
        )

    def details(
        self, ref: str, *, api_key: ApiKey | None, latest: int | None = None
    ) -> IncidentDetails | Missing:
        """The incident and its events (the `latest` ones, oldest first), or why `ref` names none."""
        lookup = self._finder.find_one(ref, api_key=api_key)
        if isinstance(lookup, Missing):
            return lookup
        events = self._client.get_incident_events(lookup.incident.id, api_key=api_key)
        if latest is not None:
            events = events[-latest:] if latest > 0 else []
        return IncidentDetails(lookup.incident, tuple(events))

    def stats(self, flt: IncidentFilter, by: GroupField, *, api_key: ApiKey | None) -> list[AggregationGroup]:
        return self._client.list_aggregations(flt, by, api_key=api_key)
