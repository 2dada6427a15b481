"""The bodies Slack sends to an app's request URL: slash commands and interactions (pure functions).

Shapes follow Slack's documented payloads; only the fields an app reads are filled in, with the values
Slack would put there for the sandbox workspace.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
VERIFICATION_TOKEN = "demo-verification-token"  # noqa: S105 - deprecated field Slack still sends; unused
"""Slack still sends its deprecated verification token in every payload; apps must not rely on it."""


@dataclass(frozen=True)
class Actor:
    """Who acts and where: the Slack user, their team and the app the request is for."""

    user_id: str
    user_name: str
    team_id: str
    team_domain: str
    api_app_id: str

    def user_json(self) -> JsonObject:
        return {
            "id": self.user_id,
            "username": self.user_name,
            "name": self.user_name,
            "team_id": self.team_id,
        }

    def team_json(self) -> JsonObject:
        return {"id": self.team_id, "domain": self.team_domain}


def action_ts(now: float | None = None) -> str:
    """Slack's `action_ts`: seconds with microseconds, as text."""
    return f"{time.time() if now is None else now:.6f}"


def slash_command_form(
    actor: Actor,
    *,
    command: str,
    text: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields of a slash command request."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": actor.team_id,
        "team_domain": actor.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": actor.user_id,
        "user_name": actor.user_name,
        "command": command,
        "text": text,
        "api_app_id": actor.api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def action_json(element: JsonObject, block_id: str, *, now: float | None = None) -> JsonObject:
    """One entry of `actions`: what Slack reports about the element that was used.

    `element` is the Block Kit element as rendered plus what the person chose (`selected_user`,
    `selected_option`); anything else the page may have added is not passed on.
    """
    kind = str(element.get("type") or "button")
    action: JsonObject = {
        "type": kind,
        "action_id": str(element.get("action_id") or ""),
        "block_id": block_id,
        "action_ts": action_ts(now),
    }
    if kind == "button":
        action["text"] = element.get("text") or {"type": "plain_text", "text": ""}
        for key in ("value", "style", "url"):
            if element.get(key) is not None:
                action[key] = element[key]
    elif kind in ("users_select", "conversations_select", "channels_select"):
        for key in ("selected_user", "selected_conversation", "selected_channel", "placeholder"):
            if element.get(key) is not None:
                action[key] = element[key]
    elif (
        kind in ("static_select", "overflow", "radio_buttons") and element.get("selected_option") is not None
    ):
        action["selected_option"] = element["selected_option"]
    return action


def block_actions_payload(
    actor: Actor,
    *,
    action: JsonObject,
    trigger_id: str,
    container: JsonObject,
    channel: JsonObject | None = None,
    message: JsonObject | None = None,
    response_url: str | None = None,
    view: JsonObject | None = None,
    state_values: JsonObject | None = None,
) -> JsonObject:
    """A `block_actions` interaction: a button or menu used on a message (or in a modal, with `view`)."""
    payload: JsonObject = {
        "type": "block_actions",
        "user": actor.user_json(),
        "api_app_id": actor.api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": actor.team_json(),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state_values or {}},
        "actions": [action],
    }
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
    if response_url is not None:
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
    return payload


def view_submission_payload(actor: Actor, *, view: JsonObject, trigger_id: str) -> JsonObject:
    """A `view_submission`: the person pressed the modal's submit button (`view.state` holds the inputs)."""
    return {
        "type": "view_submission",
        "team": actor.team_json(),
        "user": actor.user_json(),
        "api_app_id": actor.api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed_payload(actor: Actor, *, view: JsonObject, is_cleared: bool = False) -> JsonObject:
    """A `view_closed`: the person dismissed a modal that asked to be told (`notify_on_close`)."""
    return {
        "type": "view_closed",
        "team": actor.team_json(),
        "user": actor.user_json(),
        "api_app_id": actor.api_app_id,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": is_cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def interaction_form(payload: JsonObject) -> dict[str, str]:
    """Interactions travel as one form field, `payload`, holding the JSON."""
    return {"payload": json.dumps(payload, separators=(",", ":"))}
