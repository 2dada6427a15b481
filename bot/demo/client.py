"""Slack's side of a person's clicks: what Slack sends the app, and what it does with the app's answers.

The demo page reports what a person did (typed a slash command, pressed a button, chose a user, submitted
a modal); this class turns it into the request Slack would send to the bot's request URL, signed, with
response URLs and trigger ids from the Slack sandbox, and applies the bot's synchronous answer as Slack
would (a command's reply shown to its author, a modal's `response_action`). It also remembers which
modals each person has open, which the sandbox does not know.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.demo import surfaces
from bot.demo.forwarder import BotReply, Forwarder
from bot.demo.payloads import (
    Actor,
    JsonObject,
    action_json,
    block_actions_payload,
    interaction_form,
    slash_command_form,
    view_closed_payload,
    view_submission_payload,
)
from bot.sandbox.slack import OpenView, SlackChannel, SlackWorkspace
from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.render import message_json, view_json

_COMMAND = re.compile(r"^\s*(/\S+)(?:\s+(.*))?$", re.DOTALL)
COMMAND_REPLY = "command_response"
"""`Ephemeral.via` of a slash command's synchronous reply, shown only to whoever typed the command."""


class DemoRequestError(ValueError):
    """The page asked about something that does not exist, or sent a malformed request."""


@dataclass(frozen=True)
class Outcome:
    """How a person's action went, for the page: `error` is shown to them when `ok` is false."""

    ok: bool
    error: str | None = None

    def as_json(self) -> JsonObject:
        return {"ok": self.ok, "error": self.error}


@dataclass(frozen=True)
class Click:
    """An interactive element used on the page: the element as rendered (plus the choice made) and where."""

    element: JsonObject
    block_id: str = ""
    channel: str | None = None
    message_ts: str | None = None
    ephemeral_ts: str | None = None
    view_id: str | None = None
    state_values: JsonObject = field(default_factory=dict)
    home: bool = False
    """On the person's Home tab."""
    unfurl_url: str | None = None
    """Under the app's unfurl of this link in the message `message_ts` of `channel`."""


class SimulatedSlackClient:
    """Turns what a person does on the page into the signed requests Slack sends to the bot."""

    def __init__(
        self,
        workspace: SlackWorkspace,
        forwarder: Forwarder,
        *,
        slash_command: str,
        team_domain: str = "sandbox",
        unfurl_domains: Sequence[str] = (),
    ) -> None:
        self.workspace = workspace
        self.slash_command = slash_command
        self.unfurl_domains = tuple(unfurl_domains)
        self._forwarder = forwarder
        self._team_domain = team_domain
        self._lock = threading.Lock()
        self._trigger_owner: dict[str, str] = {}
        self._view_owner: dict[str, str] = {}
        self._dismissed: set[str] = set()
        self._errors: dict[str, dict[str, str]] = {}

    # -- slash commands ----------------------------------------------------------------------------

    def run_command(self, user_id: str, channel_id: str, line: str) -> Outcome:
        """`/cx list` typed in a channel: Slack posts the command to the app, then shows its reply."""
        match = _COMMAND.match(line)
        if match is None:
            raise DemoRequestError("type a slash command, e.g. /cx help")
        command, text = match.group(1), (match.group(2) or "").strip()
        actor = self._actor(user_id)
        channel = self._channel(channel_id)
        if command != self.slash_command:
            return Outcome(
                False, f"{command} is not a valid command (this workspace has {self.slash_command})"
            )
        form = slash_command_form(
            actor,
            command=command,
            text=text,
            channel_id=channel.id,
            channel_name=channel.name,
            response_url=self.workspace.new_response_url(channel=channel.id, user=user_id),
            trigger_id=self._new_trigger(user_id),
        )
        reply = self._forwarder.post_form(form)
        failure = reply.failure()
        if failure is not None:
            return Outcome(False, f'{command} failed with the error "{failure}"')
        self._show_command_reply(reply, channel.id, user_id)
        return Outcome(True)

    def _show_command_reply(self, reply: BotReply, channel_id: str, user_id: str) -> None:
        """A non-empty answer to a slash command is a message: in the channel, or only for its author."""
        body = reply.json_body()
        if body is None:
            text = reply.body.decode("utf-8", errors="replace").strip()
            if text:
                self.workspace.post_ephemeral(
                    channel=channel_id, user=user_id, text=text, blocks=[], via=COMMAND_REPLY
                )
            return
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return
        text = str(body.get("text") or "")
        raw_blocks = body.get("blocks")
        blocks: list[JsonObject] = raw_blocks if isinstance(raw_blocks, list) else []
        if body.get("response_type") == "in_channel":
            self.workspace.post_message(channel_id, text=text, blocks=blocks, metadata=None)
        else:
            self.workspace.post_ephemeral(
                channel=channel_id, user=user_id, text=text, blocks=blocks, via=COMMAND_REPLY
            )

    # -- buttons and menus -------------------------------------------------------------------------

    def click(self, user_id: str, click: Click) -> Outcome:
        """A button pressed or a menu choice made, on a message, an ephemeral message or a modal."""
        actor = self._actor(user_id)
        element = click.element
        if not isinstance(element.get("action_id"), str) or not element["action_id"]:
            raise DemoRequestError("the element has no action_id")
        action = action_json(element, click.block_id or _synthetic_block_id(element))
        trigger_id = self._new_trigger(user_id)
        if click.home or click.unfurl_url is not None:
            payload = self._surface_click(actor, action, trigger_id, click)
        elif click.view_id is not None:
            opened = self._open_view_of(user_id, click.view_id)
            view = view_json(self.workspace, opened)
            view["state"] = {"values": click.state_values}
            payload = block_actions_payload(
                actor,
                action=action,
                trigger_id=trigger_id,
                container={"type": "view", "view_id": opened.id},
                view=view,
                state_values=click.state_values,
            )
        elif click.ephemeral_ts is not None:
            payload = self._ephemeral_click(actor, action, trigger_id, click.ephemeral_ts)
        else:
            payload = self._message_click(actor, action, trigger_id, click)
        reply = self._forwarder.post_form(interaction_form(payload))
        failure = reply.failure()
        if failure is not None:
            return Outcome(False, f'the app did not take the action (error "{failure}")')
        return Outcome(True)

    def _surface_click(self, actor: Actor, action: JsonObject, trigger_id: str, click: Click) -> JsonObject:
        try:
            if click.home:
                return surfaces.home_click(self.workspace, actor, action, trigger_id)
            return surfaces.unfurl_click(
                self.workspace,
                actor,
                action,
                trigger_id,
                channel_id=click.channel or "",
                message_ts=click.message_ts or "",
                url=click.unfurl_url or "",
            )
        except surfaces.SurfaceError as exc:
            raise DemoRequestError(str(exc)) from None

    # -- the Home tab and messages with links ------------------------------------------------------

    def open_home(self, user_id: str) -> Outcome:
        """The person opens the app's Home tab: Slack tells the app, which publishes the tab."""
        self._actor(user_id)
        reply = self._forwarder.post_event(surfaces.home_opened(self.workspace, user_id))
        failure = reply.failure()
        return (
            Outcome(False, f'the app did not take app_home_opened (error "{failure}")')
            if failure
            else Outcome(True)
        )

    def post_message(self, user_id: str, channel_id: str, text: str) -> Outcome:
        """A person's message; links to the app's unfurl domains are sent to the app (`link_shared`)."""
        self._actor(user_id)
        channel = self._channel(channel_id)
        if channel.is_im:
            raise DemoRequestError("post in a channel; the bot's direct messages take slash commands only")
        shared = surfaces.posted(self.workspace, user_id, channel.id, text, self.unfurl_domains)
        if shared is None:
            return Outcome(True)
        failure = self._forwarder.post_event(shared).failure()
        return (
            Outcome(False, f'the app did not take link_shared (error "{failure}")')
            if failure
            else Outcome(True)
        )

    def _message_click(self, actor: Actor, action: JsonObject, trigger_id: str, click: Click) -> JsonObject:
        if click.channel is None or click.message_ts is None:
            raise DemoRequestError("a click on a message needs its channel and message_ts")
        channel = self._channel(click.channel)
        try:
            message = self.workspace.message(channel.id, click.message_ts)
        except KeyError:
            raise DemoRequestError(f"no message {click.message_ts} in {channel.id}") from None
        container: JsonObject = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel.id,
            "is_ephemeral": False,
        }
        if message.thread_ts is not None:
            container["thread_ts"] = message.thread_ts
        return block_actions_payload(
            actor,
            action=action,
            trigger_id=trigger_id,
            container=container,
            channel={"id": channel.id, "name": channel.name},
            message=message_json(self.workspace, message, include_metadata=True),
            response_url=self.workspace.new_response_url(
                channel=channel.id, message_ts=message.ts, user=actor.user_id
            ),
        )

    def _ephemeral_click(
        self, actor: Actor, action: JsonObject, trigger_id: str, ephemeral_ts: str
    ) -> JsonObject:
        """Slack sends no `message` for an ephemeral one; the response URL is how the app answers."""
        found = [e for e in self.workspace.ephemerals(actor.user_id) if e.message_ts == ephemeral_ts]
        if not found:
            raise DemoRequestError(f"no ephemeral message {ephemeral_ts} for {actor.user_id}")
        ephemeral = found[0]
        container: JsonObject = {
            "type": "message",
            "message_ts": ephemeral.message_ts,
            "channel_id": ephemeral.channel,
            "is_ephemeral": True,
        }
        channel = self._channel(ephemeral.channel) if ephemeral.channel else None
        return block_actions_payload(
            actor,
            action=action,
            trigger_id=trigger_id,
            container=container,
            channel={"id": channel.id, "name": channel.name} if channel else None,
            response_url=self.workspace.new_response_url(channel=ephemeral.channel, user=actor.user_id),
        )

    # -- modals ------------------------------------------------------------------------------------

    def submit_view(self, user_id: str, view_id: str, values: JsonObject) -> Outcome:
        """The modal's submit button; the bot's `response_action` decides whether it closes."""
        actor = self._actor(user_id)
        opened = self._open_view_of(user_id, view_id)
        view = view_json(self.workspace, opened)
        view["state"] = {"values": values}
        payload = view_submission_payload(actor, view=view, trigger_id=self._new_trigger(user_id))
        reply = self._forwarder.post_form(interaction_form(payload))
        failure = reply.failure()
        if failure is not None:
            return Outcome(False, f'the app did not take the submission (error "{failure}")')
        self._apply_view_response(user_id, opened, reply.json_body())
        return Outcome(True)

    def _apply_view_response(self, user_id: str, opened: OpenView, body: Any) -> None:
        answer = body if isinstance(body, dict) else {}
        response_action = answer.get("response_action")
        new_view = answer.get("view")
        if response_action == "errors" and isinstance(answer.get("errors"), dict):
            with self._lock:
                self._errors[opened.id] = {str(k): str(v) for k, v in answer["errors"].items()}
            return
        if response_action == "update" and isinstance(new_view, dict):
            self.workspace.update_view(new_view, view_id=opened.id, external_id=None, view_hash=None)
            with self._lock:
                self._errors.pop(opened.id, None)
            return
        if response_action == "push" and isinstance(new_view, dict):
            pushed = self.workspace.open_view("views.push", new_view, trigger_id=None)
            with self._lock:
                self._view_owner[pushed.id] = user_id
            return
        if response_action == "clear":
            for view in self.open_views(user_id):
                if view.root_view_id == opened.root_view_id:
                    self._dismiss(view.id)
            return
        self._dismiss(opened.id)

    def close_view(self, user_id: str, view_id: str) -> Outcome:
        """The modal's close button: it goes away; the app hears of it only if it asked to."""
        actor = self._actor(user_id)
        opened = self._open_view_of(user_id, view_id)
        self._dismiss(opened.id)
        if opened.view.get("notify_on_close"):
            payload = view_closed_payload(actor, view=view_json(self.workspace, opened))
            failure = self._forwarder.post_form(interaction_form(payload)).failure()
            if failure is not None:
                return Outcome(False, f'the app did not take view_closed (error "{failure}")')
        return Outcome(True)

    def open_views(self, user_id: str) -> list[OpenView]:
        """The modals open for this person, bottom of the stack first (each in its latest version)."""
        latest: dict[str, OpenView] = {}
        for view in self.workspace.views():
            latest[view.id] = view
        with self._lock:
            return [
                view
                for view in latest.values()
                if view.id not in self._dismissed and self._owner(view, latest) == user_id
            ]

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Errors the bot returned for the inputs of a view (block_id -> message)."""
        with self._lock:
            return dict(self._errors.get(view_id, {}))

    def _owner(self, view: OpenView, latest: dict[str, OpenView]) -> str | None:
        owner = self._view_owner.get(view.id) or self._trigger_owner.get(view.trigger_id or "")
        if owner is None and view.root_view_id != view.id and view.root_view_id in latest:
            return self._owner(latest[view.root_view_id], latest)
        return owner

    def _open_view_of(self, user_id: str, view_id: str) -> OpenView:
        for view in self.open_views(user_id):
            if view.id == view_id:
                return view
        raise DemoRequestError(f"no open view {view_id} for {user_id}")

    def _dismiss(self, view_id: str) -> None:
        with self._lock:
            self._dismissed.add(view_id)
            self._errors.pop(view_id, None)

    # -- who and where -----------------------------------------------------------------------------

    def _actor(self, user_id: str) -> Actor:
        try:
            user = self.workspace.user(user_id)
        except SlackMethodError:
            raise DemoRequestError(f"no user {user_id} in the workspace") from None
        if user.is_bot:
            raise DemoRequestError(f"{user_id} is a bot; pick a person")
        return Actor(
            user_id=user.id,
            user_name=user.name,
            team_id=self.workspace.team_id,
            team_domain=self._team_domain,
            api_app_id=self.workspace.app_id,
        )

    def _channel(self, channel_id: str) -> SlackChannel:
        for channel in self.workspace.channels():
            if channel.id == channel_id:
                return channel
        raise DemoRequestError(f"no channel {channel_id} in the workspace")

    def _new_trigger(self, user_id: str) -> str:
        trigger_id = self.workspace.new_trigger_id()
        with self._lock:
            self._trigger_owner[trigger_id] = user_id
        return trigger_id


def _synthetic_block_id(element: JsonObject) -> str:
    """Slack gives every block an id; a block the app left without one gets a made-up one here."""
    return f"demo-{element.get('action_id', 'block')}"
