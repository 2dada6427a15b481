"""Unfurling this team's Coralogix incident links into compact live cards (`chat.unfurl`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.listeners.deps import Interactivity

log = logging.getLogger(__name__)


def unfurl_links(deps: Interactivity, channel: str, ts: str, urls: Sequence[str]) -> None:
    """Preview the incidents `urls` name (the team's links only, at most a few); unknown ones get none."""
    if deps.events is None:
        return
    found = deps.events.links.incidents(urls)
    if not found:
        log.info("no incident to unfurl among %d links in %s", len(urls), channel)
        return
    deps.cards.sender.unfurls.unfurl(channel, ts, found)  # recorded, so it is refreshed when they change
    log.info("unfurled %d incident links in %s", len(found), channel)
