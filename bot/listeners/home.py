"""Publishing a person's Home tab: who they are in Coralogix and which key acts for them, then their
incidents as compact cards (see `bot.actions.home` for which), or why nothing can be shown."""

from __future__ import annotations

import logging

from bot.errors import BotError
from bot.listeners.commands import CommandRouter
from bot.listeners.deps import Interactivity
from bot.slack.blocks.home import home_view, unmapped_home_view

log = logging.getLogger(__name__)


def publish_home(deps: Interactivity, user: str, *, notice: str | None = None) -> None:
    """Draw and publish `user`'s Home tab now; `notice` (what came of their last click) goes on top."""
    if deps.events is None:
        return
    identity = deps.service.identity(user)
    if identity.coralogix_user is None:
        deps.gateway.publish_home(user, unmapped_home_view(identity.reason))
        _remember(deps, user)
        return
    found = deps.events.home.for_person(user, identity.coralogix_user, api_key=deps.queries.read_key(user))
    view = home_view(
        who=CommandRouter(deps).whoami(user),
        assigned=found.assigned,
        routed=found.routed,
        routes=found.routes,
        notes=found.notes,
        notice=notice,
        team_url=deps.team_url,
        slack_user_of=deps.slack_user_of,
        command=deps.command,
    )
    deps.gateway.publish_home(user, view)
    _remember(deps, user)
    log.info(
        "published the Home tab of %s: %d assigned, %d in their routes",
        user,
        len(found.assigned),
        len(found.routed),
    )


def _remember(deps: Interactivity, user: str) -> None:
    """Record that `user` has a Home tab of ours, so it is republished after their actions elsewhere."""
    try:
        deps.cards.sender.store.record_home(user)
    except BotError as exc:
        log.warning("could not record the Home tab of %s: %s", user, exc)
