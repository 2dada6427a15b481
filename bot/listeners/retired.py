"""Clicks on elements this version does not know: buttons of cards drawn by an older version.

Without a listener Bolt answers such a click with 404 and Slack shows the person a failed click. Here it
is acknowledged, the card is redrawn in today's format (if it is one of ours), and the clicker is told so
in one line. Nothing is written to Coralogix: the old button's meaning is not guessed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.actions import Missing
from bot.listeners.deps import Interactivity
from bot.listeners.replies import Reply
from bot.slack.blocks import ActionValue
from bot.slack.ids import METADATA_EVENT_TYPE

log = logging.getLogger(__name__)

ANY_ACTION = re.compile(r".*")
REDRAWN = "That button is from an older version of this card; I redrew the card, so use its buttons now."
UNKNOWN = "That button is no longer in use, so nothing was done."


def register_fallback(app: App, deps: Interactivity) -> None:
    """Register last: Bolt runs the first listener that matches, so this one only gets what no other took."""
    app.action(ANY_ACTION)(on_retired_click(deps))


def on_retired_click(deps: Interactivity) -> Callable[[Ack, dict[str, Any]], None]:
    def on_retired(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        reply = Reply.to_request(deps.gateway, body)
        element = _element(body)
        log.info("a click on a retired or unknown element %r", element.get("action_id"))
        incident_id = card_incident(element, body.get("message"))
        if incident_id is None:
            reply.notice(UNKNOWN)
            return
        user = _user(body)
        too_fast = deps.pace.refusal(user)
        if too_fast is not None:
            reply.error(too_fast)
            return
        deps.work.submit(partial(_redraw, deps, user, incident_id, reply), on_error=reply.error)

    return on_retired


def card_incident(element: Mapping[str, Any], message: object) -> str | None:
    """The incident of the card the element sits on: from the element, else from the card's metadata."""
    value = ActionValue.from_click(element, message)
    if value is not None:
        return value.incident_id
    metadata = message.get("metadata") if isinstance(message, Mapping) else None
    if isinstance(metadata, Mapping) and metadata.get("event_type") == METADATA_EVENT_TYPE:
        payload = metadata.get("event_payload")
        incident_id = payload.get("incident_id") if isinstance(payload, Mapping) else None
        return incident_id if isinstance(incident_id, str) and incident_id else None
    return None


def _redraw(deps: Interactivity, user: str, incident_id: str, reply: Reply) -> None:
    found = deps.queries.details(incident_id, api_key=deps.queries.read_key(user), latest=0)
    if isinstance(found, Missing):
        reply.notice(f"{UNKNOWN} {found.reason}")
        return
    deps.cards.refresh(found.incident, [])
    reply.notice(REDRAWN)


def _element(body: Mapping[str, Any]) -> Mapping[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions, list) and isinstance(actions[0], Mapping) else {}


def _user(body: Mapping[str, Any]) -> str:
    user = body.get("user") or {}
    return str(user.get("id") or "") if isinstance(user, Mapping) else ""
