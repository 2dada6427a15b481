"""Coralogix incident links pasted in Slack: which of them are this team's, and the incidents they name.

Only links on the host of `CORALOGIX_TEAM_URL` count (`https://<team host>/#/incidents/<id>`, the form
the bot's own "Open in Coralogix" buttons use, or `/incidents/<id>` as a path); at most `MAX_LINKS` of
one message are looked up, in one batch read with the team key, and an id Coralogix does not know is
left without a preview.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from bot.coralogix.backend import CoralogixBackend
from bot.domain import Incident
from bot.errors import BotError

log = logging.getLogger(__name__)

MAX_LINKS = 5
"""Links of one event looked up; Slack itself names at most five."""
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")
_PREFIX = "/incidents/"


class IncidentLinks:
    def __init__(self, client: CoralogixBackend, team_url: str | None) -> None:
        self._client = client
        team = urlsplit(team_url or "")
        self._host = (team.hostname or "").lower()
        self._port = team.port

    @property
    def enabled(self) -> bool:
        """Without CORALOGIX_TEAM_URL no link is the team's: nothing unfurls."""
        return bool(self._host)

    def incident_id(self, url: str) -> str | None:
        """The incident id a link to this team's Coralogix names, else None (other host, other page)."""
        try:
            parts = urlsplit(url.strip())
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError:
            return None
        if (
            not self._host
            or parts.scheme not in ("https", "http")
            or (host, port) != (self._host, self._port)
        ):
            return None
        for place in (parts.fragment, parts.path):
            if place.startswith(_PREFIX):
                candidate = unquote(place[len(_PREFIX) :].split("/")[0].split("?")[0])
                return candidate if _ID.fullmatch(candidate) else None
        return None

    def incidents(self, urls: Iterable[str]) -> dict[str, Incident]:
        """URL -> its incident, for the team's first `MAX_LINKS` links; a link whose id Coralogix does not
        know (or could not be read just now) is left out: it gets no preview, and no error."""
        wanted: dict[str, str] = {}
        for url in dict.fromkeys(urls):
            incident_id = self.incident_id(url)
            if incident_id is not None and len(wanted) < MAX_LINKS:
                wanted[url] = incident_id
        if not wanted:
            return {}
        found = self._read(set(wanted.values()))
        return {url: found[incident_id] for url, incident_id in wanted.items() if incident_id in found}

    def _read(self, ids: set[str]) -> Mapping[str, Incident]:
        try:
            return self._client.batch_get_incidents(sorted(ids)).found
        except BotError as exc:
            log.warning("could not read %d linked incidents: %s", len(ids), exc)
            return {}
