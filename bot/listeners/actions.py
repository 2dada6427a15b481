"""The buttons of an incident card: acknowledge at once, then act as the clicker and redraw the cards.

A click that went through needs no words: the card changes in every channel and the thread names who
acted. Anything else (refused, stale, failed, nothing to do) is told to the clicker alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.actions import ActionReport, AssignTarget, CardOrigin, Me, SlackUserTarget
from bot.config import Action
from bot.listeners.deps import Interactivity
from bot.listeners.details import open_details
from bot.listeners.pending import PendingAction, open_connect_for
from bot.listeners.replies import Reply
from bot.listeners.retired import register_fallback
from bot.listeners.surfaces import binding_refusal, redraw_after, reply_for, surface_of
from bot.slack.blocks import ActionValue
from bot.slack.ids import ActionId

log = logging.getLogger(__name__)

BUTTONS: dict[ActionId, Action] = {
    ActionId.ACK: Action.ACK,
    ActionId.RESOLVE: Action.RESOLVE,
    ActionId.ASSIGN_ME: Action.ASSIGN,
    ActionId.UNASSIGN: Action.UNASSIGN,
    ActionId.CLOSE: Action.CLOSE,
}

Listener = Callable[[Ack, dict[str, Any]], None]


def register(app: App, deps: Interactivity) -> None:
    for action_id, action in BUTTONS.items():
        app.action(action_id.value)(_button(deps, action))
    app.action(ActionId.ASSIGN.value)(_assign_picker(deps))
    app.action(ActionId.DETAILS.value)(_details(deps))

    @app.action(ActionId.LINK.value)
    def on_link(ack: Ack) -> None:
        ack()  # a plain link: Slack opens it; the click only needs acknowledging

    register_fallback(app, deps)  # last: retired action ids of older cards


def clicked(body: dict[str, Any]) -> tuple[dict[str, Any], ActionValue | None]:
    """The element that was clicked and the incident it is about (None if it carries none of ours)."""
    actions = body.get("actions") or [{}]
    element = actions[0] if isinstance(actions[0], dict) else {}
    return element, ActionValue.from_click(element, body.get("message"))


def _refusal(deps: Interactivity, body: dict[str, Any], value: ActionValue) -> str | None:
    """Why a click must not act: its card is bound to another place, or its person clicks too fast."""
    foreign = binding_refusal(deps, surface_of(body), value)
    if foreign is not None:
        return foreign
    return deps.pace.refusal(_user(body))


def _button(deps: Interactivity, action: Action) -> Listener:
    def on_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        _, value = clicked(body)
        reply = reply_for(deps, body)
        if value is None:
            reply.error("That button does not say which incident it is about; nothing was done.")
            return
        refusal = _refusal(deps, body, value)
        if refusal is not None:
            reply.error(refusal)
            return
        target: AssignTarget | None = Me() if action is Action.ASSIGN else None
        job = partial(
            _act, deps, _user(body), action, value, target, origin=card_origin(body), reply=reply, body=body
        )
        deps.work.submit(job, on_error=reply.error)

    on_click.__name__ = f"on_{action.value}"
    return on_click


def _assign_picker(deps: Interactivity) -> Listener:
    def on_pick(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        element, value = clicked(body)
        reply = reply_for(deps, body)
        picked = element.get("selected_user")
        if value is None or not picked:
            reply.error("Pick a person to assign the incident to; nothing was done.")
            return
        refusal = _refusal(deps, body, value)
        if refusal is not None:
            reply.error(refusal)
            return
        target = SlackUserTarget(str(picked))
        job = partial(
            _act,
            deps,
            _user(body),
            Action.ASSIGN,
            value,
            target,
            origin=card_origin(body),
            reply=reply,
            body=body,
        )
        deps.work.submit(job, on_error=reply.error)

    return on_pick


def _details(deps: Interactivity) -> Listener:
    def on_details(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        _, value = clicked(body)
        reply = reply_for(deps, body)
        trigger_id = str(body.get("trigger_id") or "")
        if value is None or not trigger_id:
            reply.error("I cannot tell which incident to show; nothing was opened.")
            return
        user = _user(body)
        too_fast = deps.pace.refusal(user)
        if too_fast is not None:
            reply.error(too_fast)
            return
        open_details(deps, user, value, trigger_id, reply)  # at once: the trigger_id lives 3 seconds

    return on_details


def _act(
    deps: Interactivity,
    user: str,
    action: Action,
    value: ActionValue,
    target: AssignTarget | None,
    *,
    origin: CardOrigin | None,
    reply: Reply,
    body: dict[str, Any],
) -> None:
    report = deps.service.act(
        user,
        action,
        [value.incident_id],
        target=target,
        expected_status=value.status,
        origin=origin,
    )
    if report.needs_personal_key:
        pending = PendingAction(
            action,
            (value.incident_id,),
            value.status,
            origin,
            target.user_id if isinstance(target, SlackUserTarget) else None,
        )
        opened = open_connect_for(
            deps,
            pending,
            trigger_id=str(body.get("trigger_id") or ""),
            channel=origin.channel if origin else None,
            response_url=reply.response_url,
        )
        if opened:
            reply.notice("This needs your own Coralogix API key: paste it in the form I opened.")
            return
    if redraw_after(deps, body, user, report):
        return
    _tell(report, reply)


def card_origin(body: dict[str, Any]) -> CardOrigin | None:
    """The channel message a button sits on; None for an ephemeral answer, which the bot did not record.

    A click with no message container at all is treated as being on a message nobody recorded, so the
    service refuses it. The Home tab and link unfurls are no recorded message either: treated like an
    ephemeral answer (None), their clicks are bound to their surface instead (`surfaces.binding_refusal`).
    """
    if surface_of(body) is not None:
        return None
    container = body.get("container")
    if not isinstance(container, dict):
        return CardOrigin("", "")
    if container.get("is_ephemeral"):
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    return CardOrigin(str(channel), str(ts))


def _tell(report: ActionReport, reply: Reply) -> None:
    if report.refusal:
        reply.error(report.refusal)
        return
    problems = report.problems
    if problems:
        reply.notice("\n".join(outcome.message for outcome in problems))


def _user(body: dict[str, Any]) -> str:
    user = body.get("user") or {}
    return str(user.get("id") or "") if isinstance(user, dict) else ""
