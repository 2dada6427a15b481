"""The slash command (`BOT_SLASH_COMMAND`): parse, acknowledge, then do the work and answer the caller.

Help and usage need no call, so they ride on the acknowledgement itself; everything else is acknowledged
empty at once and answered through the command's response_url when the work is done.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.actions import CoralogixUserTarget, IncidentDetails, Missing, SlackUserTarget
from bot.config import Action
from bot.domain import IncidentFilter
from bot.listeners.deps import Interactivity
from bot.listeners.pending import PendingAction, open_connect_for
from bot.listeners.replies import Reply
from bot.notify.report_answers import UnknownRouteError
from bot.personal_keys import KeySource
from bot.slack.blocks import (
    MessagePayload,
    connect_modal,
    date_token,
    describe_event,
    incident_list,
    notice_message,
    stats_message,
    usage_message,
)
from bot.slack.commands import (
    OPEN_STATUSES,
    ActCommand,
    AssignCommand,
    Command,
    ConnectCommand,
    DisconnectCommand,
    HelpCommand,
    ListCommand,
    ReportCommand,
    ResponseStatsCommand,
    RoomCommand,
    ShowCommand,
    StatsCommand,
    Usage,
    WhoAmICommand,
    parse_command,
    usage_text,
)

log = logging.getLogger(__name__)

LATEST_EVENTS = 10


def register(app: App, deps: Interactivity) -> None:
    router = CommandRouter(deps)

    @app.command(deps.command)
    def on_command(ack: Ack, body: dict[str, Any]) -> None:
        parsed = parse_command(str(body.get("text") or ""), deps.command)
        if isinstance(parsed, Usage):
            _ack_with(ack, usage_message(parsed.text))
            return
        if isinstance(parsed, HelpCommand):
            _ack_with(ack, usage_message(usage_text(deps.command, parsed.topic)))
            return
        too_fast = deps.pace.refusal(str(body.get("user_id") or ""))
        if too_fast is not None:
            _ack_with(ack, notice_message(too_fast))
            return
        ack()
        reply = Reply.to_request(deps.gateway, body)
        deps.work.submit(lambda: router.run(parsed, body, reply), on_error=reply.error)


def _ack_with(ack: Ack, payload: MessagePayload) -> None:
    ack(text=payload.text, blocks=payload.blocks, response_type="ephemeral")


class CommandRouter:
    """Runs one parsed command for the user in `body` and answers through `reply`."""

    def __init__(self, deps: Interactivity) -> None:
        self._deps = deps

    def run(self, command: Command, body: dict[str, Any], reply: Reply) -> None:
        user = str(body.get("user_id") or "")
        if isinstance(command, ActCommand):
            self._act(user, command.action, command.refs, reply, assign=None, body=body)
        elif isinstance(command, AssignCommand):
            self._act(user, Action.ASSIGN, command.refs, reply, assign=command, body=body)
        elif isinstance(command, ListCommand):
            self._list(user, command, reply)
        elif isinstance(command, ShowCommand):
            self._show(user, command, reply)
        elif isinstance(command, RoomCommand):
            self._room(user, command, reply)
        elif isinstance(command, StatsCommand):
            self._stats(user, command, reply)
        elif isinstance(command, ResponseStatsCommand):
            self._response_stats(user, command, reply)
        elif isinstance(command, ReportCommand):
            self._report(user, command, reply)
        elif isinstance(command, WhoAmICommand):
            reply.notice(self.whoami(user))
        elif isinstance(command, ConnectCommand):
            self._connect(user, body, reply)
        elif isinstance(command, DisconnectCommand):
            self._disconnect(user, reply)
        else:
            reply.send(usage_message(usage_text(self._deps.command)))

    # -- actions -----------------------------------------------------------------------------------

    def _act(
        self,
        user: str,
        action: Action,
        refs: tuple[str, ...],
        reply: Reply,
        *,
        assign: AssignCommand | None,
        body: dict[str, Any],
    ) -> None:
        target = assign.target if assign is not None else None
        report = self._deps.service.act(user, action, refs, target=target)
        for hook in self._deps.after_action:
            hook(user)
        if report.needs_personal_key and not isinstance(target, CoralogixUserTarget):
            pending = PendingAction(
                action, refs, assignee=target.user_id if isinstance(target, SlackUserTarget) else None
            )
            if open_connect_for(
                self._deps,
                pending,
                trigger_id=str(body.get("trigger_id") or ""),
                channel=reply.channel,
                response_url=reply.response_url,
            ):
                reply.notice("This needs your own Coralogix API key: paste it in the form I opened.")
                return
        if report.refusal:
            reply.error(report.refusal)
        else:
            reply.notice("\n".join(report.lines))

    def _room(self, user: str, command: RoomCommand, reply: Reply) -> None:
        if self._deps.rooms is None:
            reply.error("War rooms are not set up on this bot.")
            return
        report = self._deps.rooms.open(user, command.ref)
        if report.ok:
            reply.notice(report.message)
        else:
            reply.error(report.message)

    # -- reads ---------------------------------------------------------------------------------------

    def _list(self, user: str, command: ListCommand, reply: Reply) -> None:
        assignee = command.assignee
        if assignee == "me":
            identity = self._deps.service.identity(user)
            if identity.coralogix_user is None:
                reply.error(identity.reason)
                return
            assignee = identity.coralogix_user
        flt = IncidentFilter(
            statuses=command.statuses,
            severities=command.severities,
            applications=command.applications,
            subsystems=command.subsystems,
            assignees=(assignee,) if assignee else (),
        )
        if not self._may_read(user, reply):
            return
        api_key = self._deps.queries.read_key(user)
        page = self._deps.queries.page(flt, limit=command.limit, page=command.page, api_key=api_key)
        arguments = command.arguments(page=1)
        title = "Open incidents" if command.statuses == OPEN_STATUSES else "Incidents"
        if arguments:
            title += f" ({arguments})"
        next_page = f"{self._deps.command} list {command.arguments(page=command.page + 1)}"
        reply.send(
            incident_list(
                page.incidents,
                title=title,
                total=page.total,
                page=page.page,
                has_more=page.has_more,
                slack_user_of=self._deps.slack_user_of,
                team_url=self._deps.team_url,
                more_hint=next_page,
            )
        )

    def _show(self, user: str, command: ShowCommand, reply: Reply) -> None:
        if not self._may_read(user, reply):
            return
        api_key = self._deps.queries.read_key(user)
        found = self._deps.queries.details(command.ref, api_key=api_key, latest=LATEST_EVENTS)
        if isinstance(found, Missing):
            reply.error(found.reason)
            return
        reply.send(self._incident_with_events(found))

    def _incident_with_events(self, details: IncidentDetails) -> MessagePayload:
        card = self._deps.cards.card(details.incident)
        if details.events:
            lines = [describe_event(e, self._deps.slack_user_of) for e in details.events]
            events = notice_message("*Latest events*, oldest first\n" + "\n".join(lines))
        else:
            events = notice_message("*Latest events*: none recorded")
        return MessagePayload(text=card.text, blocks=[*card.blocks, *events.blocks])

    def _stats(self, user: str, command: StatsCommand, reply: Reply) -> None:
        if not self._may_read(user, reply):
            return
        api_key = self._deps.queries.read_key(user)
        groups = self._deps.queries.stats(
            IncidentFilter(statuses=command.statuses), command.by, api_key=api_key
        )
        reply.send(stats_message(groups, command.by))

    def _report(self, user: str, command: ReportCommand, reply: Reply) -> None:
        reports = self._deps.reports
        if reports is None:
            reply.error("Shift reports are not set up on this bot.")
            return
        if not self._may_read(user, reply):
            return
        try:
            payload = reports.report(command.route, command.since)
        except UnknownRouteError as exc:
            reply.error(str(exc))
            return
        if command.public and reply.response_url:
            self._deps.gateway.respond(reply.response_url, payload, in_channel=True)
        else:
            reply.send(payload)

    def _response_stats(self, user: str, command: ResponseStatsCommand, reply: Reply) -> None:
        reports = self._deps.reports
        if reports is None:
            reply.error("Response times are not set up on this bot.")
            return
        if not self._may_read(user, reply):
            return
        reply.send(reports.stats(command.measure, command.by, command.since))

    def _may_read(self, user: str, reply: Reply) -> bool:
        """Reads go through the team key unless the person has their own, so only mapped people read."""
        identity = self._deps.service.identity(user)
        if identity.coralogix_user is None:
            reply.error(identity.reason)
            return False
        return True

    def whoami(self, user: str) -> str:
        service = self._deps.service
        identity = service.identity(user)
        if identity.coralogix_user is None:
            return identity.reason
        lines = [
            f"You are <@{user}>; in Coralogix you are *{identity.coralogix_user}* "
            f"({identity.describe_source()})."
        ]
        caller = service.caller(user)
        if isinstance(caller, str):
            lines.append(caller)
        elif caller.key.source is KeySource.PERSONAL:
            since = f" since {date_token(caller.key.connected_at)}" if caller.key.connected_at else ""
            lines.append(f"Your actions use your personal Coralogix API key (connected{since}).")
        else:
            lines.append(
                "Your actions use the bot's team API key, so Coralogix credits the key's owner; "
                f"`{self._deps.command} connect` adds your own key."
            )
        lines.append(self._backend_line())
        allowed = service.allowed_actions(user)
        missing = [action.value for action in Action if action not in allowed]
        lines.append("You may: " + (", ".join(a.value for a in allowed) or "nothing") + ".")
        if missing:
            lines.append("You may not: " + ", ".join(missing) + " (the settings file's `permissions`).")
        return "\n".join(lines)

    def _backend_line(self) -> str:
        """Which Coralogix API this bot speaks, and what that means for whose key acts."""
        api = self._deps.queries.backend_api()
        if api == "cases":
            return (
                "This workspace's Coralogix uses Cases: acknowledging names you as the actor even through "
                "the team key; assign, resolve and close are credited to whichever key makes the call."
            )
        if api == "incidents":
            return (
                "This workspace's Coralogix uses Incidents: acknowledging and assigning need your own key "
                f"(`{self._deps.command} connect`); resolve, close and unassign may go through the team key."
            )
        return "I could not tell yet whether this Coralogix account uses Incidents or Cases."

    # -- personal keys -----------------------------------------------------------------------------

    def _connect(self, user: str, body: dict[str, Any], reply: Reply) -> None:
        deps = self._deps
        if not deps.keys.enabled:
            reply.error(
                "Personal API keys are turned off: the bot has no BOT_ENCRYPTION_KEY to store them with."
            )
            return
        identity = deps.service.identity(user)
        if identity.coralogix_user is None:
            reply.error(identity.reason)
            return
        trigger_id = str(body.get("trigger_id") or "")
        if not trigger_id:
            reply.error("Slack sent no trigger_id with the command, so I cannot open the form.")
            return
        metadata = json.dumps(
            {"channel": body.get("channel_id"), "response_url": body.get("response_url")},
            separators=(",", ":"),
        )
        deps.gateway.open_view(trigger_id, connect_modal(private_metadata=metadata))

    def _disconnect(self, user: str, reply: Reply) -> None:
        if self._deps.keys.disconnect(user):
            reply.notice(
                "Your personal API key is deleted. Your actions now go through the bot's team API key."
            )
        else:
            reply.notice("You had no personal API key stored; nothing changed.")
