"""Who may do what, to which incident: the file's `permissions` and the routes' `responders`.

When the bot writes with the team key it is the only gate between Slack and Coralogix, so every rule
denies by default: a Slack user group is only as good as its last successful look-up, and a failed
look-up refuses instead of guessing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from bot.config import MAPPED, Route, RoutingConfig
from bot.domain import Action, Incident
from bot.errors import BotError, SlackError
from bot.routing_file import is_user_group, matching_routes

log = logging.getLogger(__name__)

GroupMembersOf = Callable[[str], list[str]]
"""Slack user group id -> its members' user ids (usergroups.users.list; raises SlackError)."""

GROUP_CACHE_SECONDS = 300.0
MAX_CACHED_GROUPS = 512


class GroupLookupError(BotError):
    """Slack could not say who is in a user group; whoever depends on it is refused."""


class UserGroups:
    """Members of Slack user groups, cached per replica for a few minutes (bounded)."""

    def __init__(
        self,
        members_of: GroupMembersOf,
        *,
        max_age: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._members_of = members_of
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()

    def members(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached is not None and now - cached[0] < self._max_age:
                return cached[1]
        try:
            members = frozenset(self._members_of(group_id))
        except SlackError as exc:
            log.warning("usergroups.users.list failed for %s: %s", group_id, exc)
            raise GroupLookupError(
                f"I could not ask Slack who is in <!subteam^{group_id}> just now, so I cannot tell "
                "whether you may; try again in a moment."
            ) from exc
        with self._lock:
            self._cache[group_id] = (now, members)
            self._cache.move_to_end(group_id)
            while len(self._cache) > MAX_CACHED_GROUPS:
                self._cache.popitem(last=False)
        return members


def shown(entry: str) -> str:
    """A permissions/responders entry as Slack renders it: a mention of the user or the group."""
    if entry == MAPPED:
        return "any mapped user"
    return f"<!subteam^{entry}>" if is_user_group(entry) else f"<@{entry}>"


class Authority:
    """Answers "may this (mapped) person do this?" with None, or the sentence that refuses them."""

    def __init__(self, routing: RoutingConfig, groups: UserGroups) -> None:
        self._routing = routing
        self._groups = groups

    def refusal(self, slack_id: str, action: Action) -> str | None:
        """Why `slack_id` (already mapped) may not do `action` at all, or None when they may."""
        allowed = self._routing.permissions.get(action)
        if allowed is None or MAPPED in allowed:
            return None
        try:
            if self._is_among(slack_id, allowed):
                return None
        except GroupLookupError as exc:
            return str(exc)
        who = ", ".join(shown(entry) for entry in allowed) or "nobody"
        return (
            f"You don't have the `{action.value}` permission: the bot's settings file "
            f"(`permissions.{action.value}`) gives it to {who} only. Ask whoever runs the bot if you need it."
        )

    def refusal_on(self, slack_id: str, incident: Incident) -> str | None:
        """Why `slack_id` may not act on this incident (its routes name other responders), or None."""
        owners = [route for route in matching_routes(incident, self._routing) if route.responders]
        if not owners:
            return None
        entries = [entry for route in owners for entry in route.responders or ()]
        try:
            if self._is_among(slack_id, entries):
                return None
        except GroupLookupError as exc:
            return str(exc)
        return (
            f"{_routes_phrase(owners)} owns this incident, and only its responders may act on it: "
            f"{', '.join(shown(entry) for entry in dict.fromkeys(entries))}."
        )

    def responds_for(self, slack_id: str, route: Route) -> bool:
        """Whether the route names the person (or a group of theirs) among its responders; a failed group
        look-up raises `GroupLookupError`."""
        return bool(route.responders) and self._is_among(slack_id, route.responders or ())

    def allowed_actions(self, slack_id: str) -> list[Action]:
        return [action for action in Action if self.refusal(slack_id, action) is None]

    def _is_among(self, slack_id: str, entries: Iterable[str]) -> bool:
        """Whether the user is named, or in a named group; a group look-up failure raises."""
        entries = list(entries)
        if slack_id in entries:
            return True
        failure: GroupLookupError | None = None
        for entry in entries:
            if not is_user_group(entry):
                continue
            try:
                if slack_id in self._groups.members(entry):
                    return True
            except GroupLookupError as exc:
                failure = exc
        if failure is not None:
            raise failure
        return False


def _routes_phrase(routes: list[Route]) -> str:
    names = ", ".join(f"*{route.name}*" for route in routes)
    return f"The route {names}" if len(routes) == 1 else f"The routes {names}"
