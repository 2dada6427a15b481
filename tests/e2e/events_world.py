"""Slack's side of the Events API tests: events sent to a running bot, and clicks on a Home tab or an unfurl.

The events are the Slack sandbox's (`bot.sandbox.slack.events`), signed and posted to the bot's request
URL as Slack posts them; the clicks are `block_actions` payloads shaped as Slack sends them for a Home tab
(a `view` container) and for an app unfurl (a `message_attachment` container marked `is_app_unfurl`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.slack import OpenView, SlackMessage, SlackWorkspace
from bot.sandbox.slack.events import Delivery, EventSender, app_home_opened, link_shared
from bot.slack.values import ActionValue
from tests.e2e.harness import BotProcess, wait_for
from tests.e2e.slack_requests import TEAM, Answer, SlackSender

TEAM_HOST = "acme.app.coralogix.com"
"""The host of the harness's CORALOGIX_TEAM_URL: the domain the app unfurls."""


def incident_link(incident_id: str, host: str = TEAM_HOST) -> str:
    return f"https://{host}/#/incidents/{incident_id}"


def incidents_on(blocks: list[dict[str, Any]]) -> list[str]:
    """The incidents whose buttons the blocks carry, in order, once each."""
    found: list[str] = []
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            value = ActionValue.decode(str(element.get("value") or ""))
            if value is not None and value.incident_id not in found:
                found.append(value.incident_id)
    return found


def home_lists(view: OpenView) -> dict[str, list[str]]:
    """The Home tab's lists: "assigned" and "routes", each the incidents under that heading."""
    lists: dict[str, list[str]] = {"assigned": [], "routes": []}
    current: str | None = None
    for block in view.view["blocks"]:
        text = str((block.get("text") or {}).get("text", "")) if block.get("type") == "section" else ""
        if text.startswith("*Assigned to you*"):
            current = "assigned"
        elif text.startswith("*Open in your routes"):
            current = "routes"
        elif block.get("type") == "actions" and current is not None:
            lists[current] += [i for i in incidents_on([block]) if i not in lists[current]]
    return lists


def home_text(view: OpenView) -> str:
    return json.dumps(view.view["blocks"])


def _click_payload(user: str, action: dict[str, Any], workspace: SlackWorkspace) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0SANDBOX",
        "token": "verification-token-unused",
        "trigger_id": workspace.new_trigger_id(),
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
        "state": {"values": {}},
    }


def _action(blocks: list[dict[str, Any]], incident_id: str, action_id: str) -> dict[str, Any]:
    for block in blocks:
        if block.get("type") != "actions" or incident_id not in incidents_on([block]):
            continue
        for element in block["elements"]:
            if element.get("action_id") == action_id:
                action = {
                    "action_id": action_id,
                    "block_id": block.get("block_id", ""),
                    "type": element["type"],
                    "action_ts": f"{time.time():.6f}",
                }
                if element["type"] == "button":
                    action |= {"text": element["text"], "value": element.get("value", "")}
                return action
    raise AssertionError(f"no {action_id} for {incident_id} in those blocks")


def home_click(
    workspace: SlackWorkspace, view: OpenView, incident_id: str, action_id: str, *, user: str
) -> bytes:
    """A click on a button of `incident_id`'s compact card on `user`'s Home tab."""
    payload = _click_payload(user, _action(view.view["blocks"], incident_id, action_id), workspace)
    payload["container"] = {"type": "view", "view_id": view.id}
    payload["view"] = {
        **view.view,
        "id": view.id,
        "hash": view.hash,
        "team_id": TEAM["id"],
        "app_id": "A0SANDBOX",
        "bot_id": "B0BOT",
        "state": {"values": {}},
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def unfurl_click(
    workspace: SlackWorkspace,
    message: SlackMessage,
    url: str,
    action_id: str,
    *,
    user: str,
    value_of: str | None = None,
) -> tuple[bytes, str]:
    """A click under the unfurl of `url` in `message` (optionally on a button of another incident's
    unfurl, `value_of`, as a forged click would be); returns the body and its response_url."""
    blocks = message.unfurls[url]["blocks"]
    incident_id = value_of or incidents_on(blocks)[0]
    action = _action(blocks, incidents_on(blocks)[0], action_id)
    if value_of is not None:
        action["value"] = ActionValue(incident_id, "triggered").encode()
    response_url = workspace.new_response_url(channel=message.channel, message_ts=message.ts, user=user)
    payload = _click_payload(user, action, workspace)
    payload |= {
        "container": {
            "type": "message_attachment",
            "message_ts": message.ts,
            "attachment_id": 1,
            "channel_id": message.channel,
            "is_ephemeral": False,
            "is_app_unfurl": True,
            "app_unfurl_url": url,
        },
        "channel": {"id": message.channel, "name": message.channel.lower()},
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)}).encode(), response_url


@dataclass
class EventsWorld:
    """A running bot, the Slack sandbox's workspace, and the two ways Slack reaches the bot over HTTP."""

    workspace: SlackWorkspace
    bot: BotProcess
    events: EventSender
    slack: SlackSender

    def open_home(self, user: str) -> OpenView:
        """`user` opens the Home tab; the view the bot publishes (a new version) once it has."""
        before = len(self.workspace.homes.published(user))
        delivery = self.events.send(app_home_opened(self.workspace, user))
        assert delivery.status == 200, delivery
        return self.home_after(user, before)

    def home_after(self, user: str, versions: int, what: str = "the Home tab") -> OpenView:
        """The first version of `user`'s Home tab published after the first `versions` ones."""
        found = wait_for(lambda: self.workspace.homes.published(user)[versions:], 15, f"{what} of {user}")
        return found[0]

    def paste(self, channel: str, text: str, *, user: str = "U0ALICE") -> tuple[SlackMessage, Delivery]:
        """`user` posts `text` in `channel`; Slack sends the app `link_shared` for its team links."""
        message = self.workspace.post_message(channel, text=text, blocks=[], metadata=None, user=user)
        event = link_shared(self.workspace, message, [TEAM_HOST])
        assert event is not None, "no link on the app's domain in that text"
        delivery = self.events.send(event)
        assert delivery.status == 200, delivery
        return message, delivery

    def unfurls(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The chat.unfurl calls the bot made for one message."""
        return [
            c.params
            for c in self.workspace.calls_to("chat.unfurl")
            if c.ok and c.params.get("channel") == channel and c.params.get("ts") == ts
        ]

    def click(self, body: bytes) -> Answer:
        answer = self.slack.post(body)
        assert answer.status == 200, answer
        return answer

    def logged(self, needle: str, what: str) -> None:
        wait_for(lambda: needle in self.bot.log(), 15, what)
