"""The Details button: a modal open within Slack's 3-second trigger window, whatever Coralogix's pace.

Slack lets a click's `trigger_id` open a modal for 3 seconds only, and reading the incident and its events
from Coralogix can take longer. So the listener opens a "reading…" modal at once, in its own thread right
after the acknowledgement, and the reads run in the work pool; their result, or what went wrong,
replaces the modal by views.update.
"""

from __future__ import annotations

import logging
from functools import partial

from bot.actions import Missing
from bot.errors import SlackError
from bot.listeners.deps import Interactivity
from bot.listeners.replies import Reply
from bot.slack.blocks import ActionValue, details_waiting_modal, incident_details_modal

log = logging.getLogger(__name__)


def open_details(deps: Interactivity, user: str, value: ActionValue, trigger_id: str, reply: Reply) -> None:
    """Open the waiting modal now (on the click's trigger_id), then fill it in the background."""
    try:
        view_id = deps.gateway.open_view(trigger_id, details_waiting_modal(value.incident_id))
    except SlackError as exc:
        log.warning("could not open the details of %s: %s", value.incident_id, exc)
        reply.error(f"Slack did not open the details: {exc}")
        return
    problem = partial(_show_problem, deps, view_id, value.incident_id)
    deps.work.submit(partial(_fill, deps, user, value, view_id), on_error=problem)


def _fill(deps: Interactivity, user: str, value: ActionValue, view_id: str) -> None:
    identity = deps.service.identity(user)
    if identity.coralogix_user is None:
        _show_problem(deps, view_id, value.incident_id, identity.reason)
        return
    api_key = deps.queries.read_key(user)
    found = deps.queries.details(value.incident_id, api_key=api_key)
    if isinstance(found, Missing):
        _show_problem(deps, view_id, value.incident_id, found.reason)
        return
    view = incident_details_modal(found.incident, found.events, slack_user_of=deps.slack_user_of)
    deps.gateway.update_view(view_id, view)


def _show_problem(deps: Interactivity, view_id: str, incident_id: str, problem: str) -> None:
    """Say in the open modal why there is nothing to show (the work pool has logged any failure)."""
    try:
        deps.gateway.update_view(view_id, details_waiting_modal(incident_id, problem))
    except SlackError as exc:  # the person closed the modal, most likely
        log.info("could not tell the details modal %s what went wrong: %s", view_id, exc)
