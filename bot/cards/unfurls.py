"""Live link unfurls: the compact card of an incident under each link to it the bot unfurled.

Each unfurl the bot makes is recorded (`store.unfurls`); when the incident's card or its storm digest line
is redrawn (after a poll saw it change, or after an action) its newest unfurls are sent again
(`chat.unfurl` replaces the preview). A failed refresh is logged, never raised; an unfurl Slack refuses
for good (the message deleted, the link gone from it) is forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.domain import Incident
from bot.errors import SlackError, SlackRequestError
from bot.slack.blocks.compact import unfurl_blocks
from bot.slack.gateway import SlackGateway
from bot.store import Store, StoreError
from bot.store.unfurls import UnfurlRow

log = logging.getLogger(__name__)


class LiveUnfurls:
    def __init__(
        self,
        *,
        store: Store,
        gateway: SlackGateway,
        team_url: str | None,
        slack_user_of: Callable[[str], str | None],
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._team_url = team_url
        self._slack_user_of = slack_user_of

    def unfurl(self, channel: str, ts: str, found: Mapping[str, Incident]) -> None:
        """Preview each URL of the message with its incident's compact card, and remember each; raises
        what Slack raised."""
        self._gateway.unfurl(channel, ts, {url: self._blocks(incident) for url, incident in found.items()})
        for url, incident in found.items():
            self._store.record_unfurl(UnfurlRow(incident.id, channel, ts, url))

    def refresh(self, incident: Incident) -> int:
        """Send the incident's newest recorded unfurls again with its state now; returns how many went."""
        try:
            rows = self._store.unfurls_of(incident.id)
        except StoreError as exc:  # a refresh must never break the card update it follows
            log.warning("could not read the unfurls of %s: %s", incident.id, exc)
            return 0
        sent = 0
        for row in rows:
            try:
                self._gateway.unfurl(row.channel, row.ts, {row.url: self._blocks(incident)})
                sent += 1
            except SlackRequestError as exc:  # refused: the same call will never work
                log.info("forgetting the unfurl of %s in %s (%s): %s", incident.id, row.channel, row.ts, exc)
                self._forget(row)
            except SlackError as exc:
                log.warning("could not refresh the unfurl of %s in %s: %s", incident.id, row.channel, exc)
        return sent

    def _forget(self, row: UnfurlRow) -> None:
        try:
            self._store.forget_unfurl(row)
        except StoreError as exc:
            log.warning("could not forget the unfurl of %s: %s", row.incident_id, exc)

    def _blocks(self, incident: Incident) -> Mapping[str, Any]:
        return unfurl_blocks(incident, team_url=self._team_url, slack_user_of=self._slack_user_of)
