"""The demo shows the Home tab and unfurls: opening Home publishes the chosen person's tab, a message with
an incident link typed in the composer unfurls, and the buttons there act — over HTTP and Socket Mode."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bot.demo.settings import DEMO_TEAM_URL
from bot.demo.stack import DemoStack, start_demo
from tests.e2e.harness import wait_for

WAIT_SECONDS = 20.0


@pytest.fixture(params=[False, True], ids=["http", "socket-mode"])
def demo(request: pytest.FixtureRequest) -> Iterator[DemoStack]:
    stack = start_demo(port=0, seed=5, incidents=0, live_changes=False, socket_mode=request.param)
    if stack.socket_mode is not None:
        server = stack.socket_mode
        wait_for(lambda: server.open_connections() == 1, WAIT_SECONDS, "the bot's Socket Mode connection")
    yield stack
    stack.stop()


def _call(demo: DemoStack, path: str, body: dict[str, Any] | None = None, user: str = "U0ALICE") -> Any:
    data = None if body is None else json.dumps({"user": user, **body}).encode()
    request = urllib.request.Request(
        demo.url + path.lstrip("/"), data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def _state(demo: DemoStack, user: str = "U0ALICE") -> dict[str, Any]:
    return dict(_call(demo, f"api/state?user={user}"))


def _button(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element, block["block_id"]
    raise AssertionError(f"no {action_id}")


def test_the_home_tab_and_a_pasted_link_on_the_page(demo: DemoStack) -> None:
    incident = demo.coralogix.sim.create_incident(name="Checkout 5xx", application="shop")
    wait_for(lambda: incident in json.dumps(_state(demo)["channels"]), WAIT_SECONDS, "the card in #payments")

    opened = _call(demo, "api/home", {})
    assert opened["ok"] is True, opened
    home = wait_for(lambda: _state(demo)["home"], WAIT_SECONDS, "Alice's Home tab")
    assert "alice@example.com" in json.dumps(home["blocks"])
    wait_for(
        lambda: incident in json.dumps(_state(demo)["home"]["blocks"]), WAIT_SECONDS, "the incident there"
    )
    element, block_id = _button(_state(demo)["home"]["blocks"], "incident_resolve")
    assert _call(demo, "api/action", {"element": element, "block_id": block_id, "home": True})["ok"] is True
    wait_for(lambda: demo.coralogix.sim.calls_to("ResolveIncidents"), WAIT_SECONDS, "the resolve from Home")

    other = demo.coralogix.sim.create_incident(name="Search slow", application="shop")
    link = f"{DEMO_TEAM_URL}/#/incidents/{other}"
    said = _call(
        demo, "api/message", {"channel": "C0PAYMENTS", "text": f"who looks at {link} ?"}, user="U0BOB"
    )
    assert said["ok"] is True

    def unfurled() -> dict[str, Any] | None:
        payments = next(c for c in _state(demo, "U0BOB")["channels"] if c["id"] == "C0PAYMENTS")
        return next((m for m in payments["messages"] if m.get("unfurls")), None)

    message = wait_for(unfurled, WAIT_SECONDS, "the link unfurled on the page")
    assert message["user"] == "U0BOB" and other in json.dumps(message["unfurls"][link])
    element, block_id = _button(message["unfurls"][link]["blocks"], "incident_resolve")
    body = {"element": element, "block_id": block_id, "channel": "C0PAYMENTS", "message_ts": message["ts"]}
    assert _call(demo, "api/action", {**body, "unfurl_url": link}, user="U0BOB")["ok"] is True
    wait_for(
        lambda: [c for c in demo.coralogix.sim.calls_to("ResolveIncidents") if other in str(c.request)],
        WAIT_SECONDS,
        "the resolve from the unfurl",
    )
