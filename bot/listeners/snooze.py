"""The Snooze button of a reminder: acknowledged at once; the clicker alone is told how it went."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.actions.authority import Authority
from bot.domain import Action, Incident
from bot.identity import IdentityResolver
from bot.listeners.deps import Interactivity
from bot.listeners.replies import Reply
from bot.reminders.snooze import MaySnooze, Snoozes
from bot.slack.ids import ReminderActionId

NOT_HERE = "Reminders are not set up on this bot, so nothing was snoozed."
NO_REMINDER = "That button does not say which reminder it belongs to; nothing was snoozed."


def register(app: App, deps: Interactivity) -> None:
    @app.action(ReminderActionId.SNOOZE.value)
    def on_snooze(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        reply = Reply.to_request(deps.gateway, body)
        snoozes = deps.snoozes
        if snoozes is None:
            reply.notice(NOT_HERE)
            return
        thread_ts, channel = _reminder_of(body)
        if not thread_ts or not channel:
            reply.error(NO_REMINDER)
            return
        user = reply.user
        too_fast = deps.pace.refusal(user)
        if too_fast is not None:
            reply.error(too_fast)
            return
        deps.work.submit(partial(_snooze, snoozes, channel, thread_ts, user, reply), on_error=reply.error)


def acknowledging_authority(identities: IdentityResolver, authority: Authority) -> MaySnooze:
    """Who may snooze: whoever may acknowledge (mapped, `permissions.ack`, the routes' `responders`)."""

    def may_snooze(user: str, incidents: Sequence[Incident]) -> str | None:
        identity = identities.resolve(user)
        if not identity.is_mapped:
            return identity.reason
        refusal = authority.refusal(user, Action.ACK)
        if refusal is not None:
            return refusal
        for incident in incidents:
            refusal = authority.refusal_on(user, incident)
            if refusal is not None:
                return refusal
        return None

    return may_snooze


def _snooze(snoozes: Snoozes, channel: str, thread_ts: str, user: str, reply: Reply) -> None:
    outcome = snoozes.snooze(channel, thread_ts, user)
    if outcome.snoozed:
        reply.notice(outcome.text)
    else:
        reply.error(outcome.text)


def _reminder_of(body: Mapping[str, Any]) -> tuple[str, str]:
    """The card's ts the reminder replies under (the button's value) and the channel it is in."""
    actions = body.get("actions") or [{}]
    element = actions[0] if isinstance(actions, list) and isinstance(actions[0], Mapping) else {}
    channel = body.get("channel") or {}
    channel_id = channel.get("id") if isinstance(channel, Mapping) else None
    return str(element.get("value") or ""), str(channel_id or "")
