"""Incident references as people type them: a full id, or a unique prefix of at least 8 characters.

Full ids are fetched together in one BatchGetIncident; whatever it does not know is looked up as a
prefix with ListIncidents searching the id field, and must then match exactly one incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.coralogix.backend import CoralogixBackend
from bot.coralogix.calls import ApiKey
from bot.domain import MIN_PREFIX, Incident, IncidentFilter
from bot.slack.blocks import escape

SEARCH_PAGE_SIZE = 20
MAX_NAMED_CANDIDATES = 3
MAX_PREFIX_SEARCHES = 3
"""Partial ids looked up per command: each costs a ListIncidents, so one command cannot cost many."""


@dataclass(frozen=True)
class Found:
    ref: str
    incident: Incident


@dataclass(frozen=True)
class Missing:
    ref: str
    reason: str
    """A sentence (mrkdwn) saying why the reference names no single incident."""


Lookup = Found | Missing


class IncidentFinder:
    """Turns references into incidents with as few calls as it can; Coralogix errors propagate."""

    def __init__(self, client: CoralogixBackend) -> None:
        self._client = client

    def find(self, refs: Sequence[str], *, api_key: ApiKey | None = None) -> list[Lookup]:
        """One lookup per distinct reference, in the order given."""
        unique = list(dict.fromkeys(ref.strip() for ref in refs if ref.strip()))
        if not unique:
            return []
        batch = self._client.batch_get_incidents(unique, api_key=api_key)
        found_by_id = {incident.id: incident for incident in batch.found.values()}
        found_by_id.update(batch.found)
        lookups: list[Lookup] = []
        searches = 0
        for ref in unique:
            incident = found_by_id.get(ref)
            if incident is not None:
                lookups.append(Found(ref, incident))
            elif len(ref) >= MIN_PREFIX and searches >= MAX_PREFIX_SEARCHES:
                lookups.append(
                    Missing(
                        ref,
                        f"`{escape(ref)}` is not a full incident id, and I look up at most "
                        f"{MAX_PREFIX_SEARCHES} partial ids per command: give the full id.",
                    )
                )
            else:
                searches += len(ref) >= MIN_PREFIX
                lookups.append(self._by_prefix(ref, api_key))
        return lookups

    def find_one(self, ref: str, *, api_key: ApiKey | None = None) -> Lookup:
        lookups = self.find([ref], api_key=api_key)
        return lookups[0] if lookups else Missing(ref, "No incident was named.")

    def _by_prefix(self, ref: str, api_key: ApiKey | None) -> Lookup:
        shown = f"`{escape(ref)}`"
        if len(ref) < MIN_PREFIX:
            return Missing(ref, f"{shown} is too short: give at least {MIN_PREFIX} characters of the id.")
        page = self._client.list_incidents(
            IncidentFilter(id_search=ref), page_size=SEARCH_PAGE_SIZE, api_key=api_key
        )
        wanted = ref.lower()
        matches = [incident for incident in page.incidents if incident.id.lower().startswith(wanted)]
        if len(matches) == 1:
            return Found(ref, matches[0])
        if not matches:
            return Missing(ref, f"No incident has the id {shown}, or an id starting with it.")
        named = ", ".join(f"`{escape(m.id)}`" for m in matches[:MAX_NAMED_CANDIDATES])
        more = " …" if len(matches) > MAX_NAMED_CANDIDATES or page.next_page_token else ""
        return Missing(ref, f"{shown} starts the ids of several incidents ({named}{more}): give more of it.")
