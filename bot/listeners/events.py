"""The Events API: `app_home_opened` publishes the Home tab, `link_shared` unfurls incident links.

Bolt acknowledges an event at once (HTTP 200, or the Socket Mode ack); the work runs after, in the
listeners' pool. Slack delivers an event again when it did not see it acknowledged in time
(`X-Slack-Retry-Num`, or a Socket Mode envelope's `retry_attempt`), always with the same `event_id`: the
event ledger (a table every replica shares) lets exactly one delivery do the work, and takes the event
back if that work failed, so a later retry may do it. What is not for the bot is acknowledged and
ignored: a link in a channel the bot is not in, the Messages tab, an event without an `event_id`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import App, BoltRequest

from bot.errors import BotError
from bot.listeners.deps import EventServices, Interactivity
from bot.listeners.home import publish_home
from bot.listeners.surfaces import refresh_home_later
from bot.listeners.unfurls import unfurl_links

log = logging.getLogger(__name__)


def register(app: App, deps: Interactivity) -> None:
    services = deps.events
    if services is None:
        return
    deps.after_action.append(partial(refresh_home_later, deps))  # a slash command's action

    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        user = event.get("user")
        if event.get("tab") != "home" or not isinstance(user, str) or not user:
            return  # the Messages tab, or no one to draw it for
        _once(deps, services, body, request, lambda: publish_home(deps, user))

    @app.event("link_shared")
    def on_link_shared(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        channel, ts = event.get("channel"), event.get("message_ts")
        if event.get("is_bot_user_member") is not True:
            log.info("ignored links shared in %s: the bot is not in that channel", channel)
            return
        links = event.get("links")
        urls = [
            str(link["url"])
            for link in (links if isinstance(links, list) else [])
            if isinstance(link, dict) and isinstance(link.get("url"), str)
        ]
        if not (isinstance(channel, str) and channel and isinstance(ts, str) and ts and urls):
            log.info("ignored a link_shared event without a channel, a message or links")
            return
        _once(deps, services, body, request, lambda: unfurl_links(deps, channel, ts, urls))


def _once(
    deps: Interactivity,
    services: EventServices,
    body: dict[str, Any],
    request: BoltRequest,
    job: Callable[[], None],
) -> None:
    """Run `job` for this event unless another delivery of it (a retry, on any replica) was taken."""
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        log.warning("ignored an event without an event_id")
        return
    retry = (request.headers.get("x-slack-retry-num") or [""])[0]
    try:
        taken = services.ledger.take_event(event_id)
    except BotError as exc:  # both jobs are idempotent: better twice than never
        log.warning("could not record event %s (%s); handling it anyway", event_id, exc)
        taken = True
    if not taken:
        log.info("event %s was handled already; Slack's retry %s changes nothing", event_id, retry or "?")
        return

    def give_back(_: str) -> None:
        try:
            services.ledger.give_back_event(event_id)
        except BotError as exc:
            log.warning("could not give event %s back for a retry: %s", event_id, exc)
        else:
            log.info("event %s failed; given back for Slack's retry", event_id)

    deps.work.submit(job, on_error=give_back)
