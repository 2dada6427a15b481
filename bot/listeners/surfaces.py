"""Card buttons away from a channel message: on the Home tab and under an unfurled incident link.

Neither is a message the bot recorded, so there is no card to check a click against (`CardOrigin`): such
a click is treated like one on an ephemeral answer, and the person's permissions and the routes'
responders decide, as everywhere. Each surface still binds its buttons: a Home tab click counts only for
an incident that tab showed (its private_metadata lists them), an unfurl click only for the incident of
the link it unfurls. After the action the surface is redrawn: the Home tab republished with what came of
the click on top, the unfurl refreshed. A click anywhere else (a channel card, an unfurl) also republishes
the clicker's Home tab if the bot ever published one (`store.home_tabs`), in the background.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot.actions import ActionReport
from bot.errors import BotError
from bot.listeners.deps import Interactivity
from bot.listeners.home import publish_home
from bot.listeners.replies import Reply
from bot.listeners.unfurls import unfurl_links
from bot.slack.blocks import ActionValue, MessagePayload
from bot.slack.blocks.home import shown_digest, shown_on

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HomeClick:
    """A click on the person's Home tab; `shown` are the digests of the incidents it listed."""

    shown: frozenset[str]


@dataclass(frozen=True)
class UnfurlClick:
    """A click under the app's unfurl of `url` in the message `ts` of `channel`."""

    channel: str
    ts: str
    url: str


Surface = HomeClick | UnfurlClick


def surface_of(body: dict[str, Any]) -> Surface | None:
    """The Home tab or the unfurl a click came from; None for a message (or anything else)."""
    view = body.get("view")
    if isinstance(view, dict) and view.get("type") == "home":
        return HomeClick(shown_on(view))
    container = body.get("container")
    if isinstance(container, dict) and container.get("is_app_unfurl"):
        return UnfurlClick(
            str(container.get("channel_id") or ""),
            str(container.get("message_ts") or ""),
            str(container.get("app_unfurl_url") or ""),
        )
    return None


def binding_refusal(deps: Interactivity, surface: Surface | None, value: ActionValue) -> str | None:
    """Why a click must not act: its incident is not the one its surface showed there; else None."""
    if surface is None:
        return None
    if isinstance(surface, HomeClick):
        if shown_digest(value.incident_id) in surface.shown:
            return None
        return (
            "That incident is not on your Home tab as it was drawn, so I did nothing; "
            "open the tab again for a fresh list."
        )
    if deps.events is not None and deps.events.links.incident_id(surface.url) == value.incident_id:
        return None
    return "That button does not belong to the incident of the link it is under, so I did nothing."


@dataclass(frozen=True)
class HomeReply(Reply):
    """An answer to a Home tab click: the tab is redrawn with the answer on top (it has no channel)."""

    deps: Interactivity | None = None

    def send(self, payload: MessagePayload) -> None:
        if self.deps is None:
            return
        try:
            publish_home(self.deps, self.user, notice=_text_of(payload))
        except BotError as exc:  # as `Reply.send`: logged, never raised at the listener
            log.warning("could not answer %s on their Home tab: %s", self.user, exc)


def reply_for(deps: Interactivity, body: dict[str, Any]) -> Reply:
    """Where the clicker's answer goes: the Home tab for a Home tab click, else the request's own way."""
    reply = Reply.to_request(deps.gateway, body)
    if isinstance(surface_of(body), HomeClick):
        return HomeReply(deps.gateway, reply.user, deps=deps)
    return reply


def redraw_after(deps: Interactivity, body: dict[str, Any], user: str, report: ActionReport) -> bool:
    """Redraw the surface a click came from; True when that also told the clicker the outcome."""
    surface = surface_of(body)
    if isinstance(surface, HomeClick):
        publish_home(deps, user, notice="\n".join(report.lines))
        return True
    if isinstance(surface, UnfurlClick) and surface.channel and surface.ts and surface.url:
        unfurl_links(deps, surface.channel, surface.ts, [surface.url])
    refresh_home_later(deps, user)
    return False


def refresh_home_later(deps: Interactivity, user: str) -> None:
    """After `user` acted away from their Home tab: republish it, if the bot ever published one, as a job of
    its own on the background work (the answer to their click does not wait for it; failures logged)."""
    if deps.events is not None and user:
        deps.work.submit(partial(_refresh_home, deps, user))


def _refresh_home(deps: Interactivity, user: str) -> None:
    try:
        if deps.cards.sender.store.has_home(user):
            publish_home(deps, user)
    except BotError as exc:
        log.warning("could not refresh the Home tab of %s: %s", user, exc)


def _text_of(payload: MessagePayload) -> str:
    """The first section's mrkdwn (the answer as shown), else the fallback text."""
    for block in payload.blocks:
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            return str(text["text"])
    return payload.text
