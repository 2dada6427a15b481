"""The page's HTTP API over a real socket, with the demo's client talking to a real Bolt app."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bot.demo.client import SimulatedSlackClient
from bot.demo.coralogix_side import IncidentFeed
from bot.demo.page_server import DemoPageServer
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.sandbox.slack import RunningSlackSandbox
from tests.demo.conftest import Received


@pytest.fixture
def feed() -> IncidentFeed:
    sim = SimulatedCoralogix(seed=5)
    sim.generate(4, lifecycle=True)
    return IncidentFeed(sim, seed=5)


@pytest.fixture
def page(client: SimulatedSlackClient, feed: IncidentFeed) -> Iterator[DemoPageServer]:
    server = DemoPageServer(client, feed, port=0)
    server.start()
    yield server
    server.stop()


def _get(page: DemoPageServer, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(page.url.rstrip("/") + path, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def _post(
    page: DemoPageServer, path: str, body: Any, content_type: str = "application/json"
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        page.url.rstrip("/") + path, data=data, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _state(page: DemoPageServer, user: str = "U0ALICE") -> dict[str, Any]:
    status, _, body = _get(page, f"/api/state?user={user}")
    assert status == 200
    return dict(json.loads(body))


def test_serves_the_page_and_its_files_only(page: DemoPageServer) -> None:
    status, kind, html = _get(page, "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'<script src="/static/app.js"></script>' in html
    assert b"http://" not in html and b"https://" not in html  # nothing from the network
    assert _get(page, "/static/app.js")[:2] == (200, "text/javascript; charset=utf-8")
    assert _get(page, "/static/style.css")[:2] == (200, "text/css; charset=utf-8")
    assert _get(page, "/static/../page_server.py")[0] == 404
    assert _get(page, "/static/other.js")[0] == 404


def test_state_shows_channels_users_and_the_coralogix_side(page: DemoPageServer, feed: IncidentFeed) -> None:
    state = _state(page)
    assert [c["id"] for c in state["channels"]] == ["C0PAYMENTS", "C0SEARCH", "C0INCIDENTS", "C0PLATFORM"]
    assert {"U0ALICE", "U0BOB", "U0CAROL", "U0LEAD"} <= {u["id"] for u in state["users"] if not u["is_bot"]}
    assert state["slash_command"] == "/cx"
    assert sum(state["coralogix"]["summary"].values()) == 4
    assert "critical" in state["coralogix"]["severities"]
    assert "payments" in state["coralogix"]["applications"]


def test_a_command_from_the_page_is_answered_to_that_person_only(
    page: DemoPageServer, received: Received
) -> None:
    before = _state(page, "U0BOB")["version"]
    status, outcome = _post(
        page, "/api/command", {"user": "U0ALICE", "channel": "C0SEARCH", "text": "/cx stats"}
    )
    assert (status, outcome) == (200, {"ok": True, "error": None})
    assert received.commands[0]["text"] == "stats"
    [reply] = _state(page, "U0ALICE")["ephemerals"]
    assert reply["text"] == "you said stats"
    assert reply["channel"] == "C0SEARCH"
    assert _state(page, "U0BOB")["ephemerals"] == []
    assert _state(page, "U0BOB")["version"] == before  # Bob sees nothing new


def test_an_action_from_the_page_reaches_the_app(
    page: DemoPageServer, received: Received, slack: RunningSlackSandbox
) -> None:
    button = {
        "type": "button",
        "action_id": "press",
        "value": "plain",
        "text": {"type": "plain_text", "text": "P"},
    }
    message = slack.workspace.post_message(
        "C0PAYMENTS",
        text="card",
        blocks=[{"type": "actions", "block_id": "x", "elements": [button]}],
        metadata=None,
    )
    body = {
        "user": "U0CAROL",
        "element": button,
        "block_id": "x",
        "channel": "C0PAYMENTS",
        "message_ts": message.ts,
    }
    assert _post(page, "/api/action", body) == (200, {"ok": True, "error": None})
    assert received.actions[0]["user"]["id"] == "U0CAROL"
    assert received.actions[0]["actions"][0]["action_id"] == "press"


def test_modals_open_submit_and_close_through_the_page(
    page: DemoPageServer, received: Received, slack: RunningSlackSandbox
) -> None:
    button = {
        "type": "button",
        "action_id": "press",
        "value": "modal",
        "text": {"type": "plain_text", "text": "P"},
    }
    message = slack.workspace.post_message("C0PAYMENTS", text="card", blocks=[], metadata=None)
    click = {"user": "U0ALICE", "element": button, "channel": "C0PAYMENTS", "message_ts": message.ts}
    assert _post(page, "/api/action", click)[0] == 200
    [opened] = _state(page)["views"]
    assert opened["view"]["callback_id"] == "form"
    assert _state(page, "U0BOB")["views"] == []
    empty = {"note": {"text": {"type": "plain_text_input", "value": None}}}
    assert (
        _post(page, "/api/views/submit", {"user": "U0ALICE", "view_id": opened["id"], "values": empty})[0]
        == 200
    )
    assert _state(page)["views"][0]["errors"] == {"note": "Write something"}
    assert _post(page, "/api/views/close", {"user": "U0ALICE", "view_id": opened["id"]})[0] == 200
    assert _state(page)["views"] == []
    assert received.closed[0]["view"]["id"] == opened["id"]


def test_new_incidents_on_request(page: DemoPageServer, feed: IncidentFeed) -> None:
    status, answer = _post(page, "/api/incidents", {"severity": "critical", "application": "search"})
    assert status == 200
    incident = feed.sim.incident(answer["incident_id"])
    assert incident.contextual_labels["alert_severity"] == "Critical"
    assert incident.display_labels["coralogix.metadata.applicationName"] == "search"
    assert _state(page)["coralogix"]["activity"][0]["text"].startswith("opened ")
    assert _post(page, "/api/incidents", {"severity": "apocalyptic"})[0] == 400
    assert _post(page, "/api/incidents", {"application": "nope"})[0] == 400


def test_bad_requests_are_refused_and_reach_nobody(page: DemoPageServer, received: Received) -> None:
    command = {"user": "U0ALICE", "channel": "C0SEARCH", "text": "/cx help"}
    form = b"user=U0ALICE&channel=C0SEARCH&text=%2Fcx+help"
    assert _post(page, "/api/command", form, "application/x-www-form-urlencoded")[0] == 415
    assert _post(page, "/api/command", b"{not json", "application/json")[0] == 400
    assert _post(page, "/api/command", ["a", "list"])[0] == 400
    assert _post(page, "/api/command", {**command, "user": "alice"})[0] == 400
    assert _post(page, "/api/command", {**command, "channel": ""})[0] == 400
    assert _post(page, "/api/action", {"user": "U0ALICE", "element": "press"})[0] == 400
    assert _post(page, "/api/nothing", command)[0] == 404
    assert _get(page, "/api/state?user=nobody")[0] == 400
    assert received.commands == []
    assert received.actions == []
