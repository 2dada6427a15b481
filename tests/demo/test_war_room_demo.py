"""The demo shows a war room: a click on a card's War room button makes a channel the page lists."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from bot.demo.stack import start_demo
from bot.slack.ids import ActionId
from tests.e2e.harness import wait_for


def _state(url: str, user: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}api/state?user={user}", timeout=5) as response:
        state: dict[str, Any] = json.loads(response.read())
    return state


def _post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url + path.lstrip("/"),
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
    return answer


def _war_room_button(state: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any], str] | None:
    """(channel, message, element, block_id) of a War room button on the page, if any."""
    for channel in state["channels"]:
        for message in channel["messages"]:
            for block in message.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element.get("action_id") == ActionId.WAR_ROOM:
                        return channel["id"], message, element, str(block.get("block_id", ""))
    return None


def test_a_war_room_opened_on_the_demo_page_appears_as_a_channel_with_the_card() -> None:
    stack = start_demo(port=0, seed=4, incidents=8, live_changes=False)
    try:
        channel, message, element, block_id = wait_for(
            lambda: _war_room_button(_state(stack.url, "U0ALICE")), 30, "a card with a War room button"
        )
        incident_id = message["metadata"]["event_payload"]["incident_id"]
        _post(
            stack.url,
            "/api/action",
            {
                "user": "U0ALICE",
                "element": element,
                "block_id": block_id,
                "channel": channel,
                "message_ts": message["ts"],
            },
        )

        def room() -> dict[str, Any] | None:
            for shown in _state(stack.url, "U0ALICE")["channels"]:
                if shown["name"].startswith("inc-") and shown["messages"]:
                    return shown
            return None

        opened = wait_for(room, 30, "the war room in the page's channel list")
        assert "U0ALICE" in opened["members"] and opened["is_archived"] is False
        assert opened["messages"][0]["metadata"]["event_payload"]["incident_id"] == incident_id
    finally:
        stack.stop()
