"""A Slack sandbox, and a real Bolt app on a real socket that records what the demo's client sends it.

The Bolt app is not the bot: it is a small app whose listeners note each request and answer in the ways
Slack allows (a reply body, a response URL, views.open, a modal's response_action), so the tests show
that Bolt — the framework the bot is built on — verifies, parses and routes the demo's requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.demo.client import SimulatedSlackClient
from bot.demo.forwarder import SignedForwarder
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace, start_slack_sandbox
from bot.web import SLACK_EVENTS_PATH, build_wsgi_app

SECRET = "demo-tests-signing-secret"
FORM_VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "form",
    "title": {"type": "plain_text", "text": "A form"},
    "submit": {"type": "plain_text", "text": "Send"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "notify_on_close": True,
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


@dataclass
class Received:
    """What the recording app's listeners were given, by kind."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)


def build_recording_app(slack: RunningSlackSandbox, received: Received) -> App:
    app = App(
        client=WebClient(token=SANDBOX_BOT_TOKEN, base_url=slack.api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,  # listeners finish before the HTTP answer: no waiting in tests
    )

    @app.command("/cx")
    def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        received.commands.append(command)
        if command["text"] == "public":
            ack()
            respond(text="said in the channel", response_type="in_channel")
        elif command["text"] == "quiet":
            ack()
        else:
            ack(text=f"you said {command['text']}")

    @app.action("press")
    def on_press(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, client: WebClient
    ) -> None:
        ack()
        received.actions.append(body)
        if action.get("value") == "modal":
            client.views_open(trigger_id=body["trigger_id"], view=FORM_VIEW)
        elif action.get("value") == "replace":
            respond(replace_original=True, text="replaced by the app")

    @app.action("pick")
    def on_pick(ack: Any, body: dict[str, Any]) -> None:
        ack()
        received.actions.append(body)

    @app.view("form")
    def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        received.submissions.append(body)
        text = view["state"]["values"]["note"]["text"]["value"]
        if not text:
            ack(response_action="errors", errors={"note": "Write something"})
        elif text == "again":
            ack(
                response_action="update", view={**FORM_VIEW, "title": {"type": "plain_text", "text": "Again"}}
            )
        else:
            ack()

    @app.view_closed("form")
    def on_closed(ack: Any, body: dict[str, Any]) -> None:
        ack()
        received.closed.append(body)

    return app


@pytest.fixture
def slack() -> Iterator[RunningSlackSandbox]:
    with start_slack_sandbox(SlackWorkspace.with_defaults()) as running:
        yield running


@pytest.fixture
def received() -> Received:
    return Received()


class _ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def app_url(slack: RunningSlackSandbox, received: Received) -> Iterator[str]:
    """The recording app's request URL: Bolt's WSGI adapter behind the bot's own WSGI routing."""
    handler = SlackRequestHandler(build_recording_app(slack, received))
    wsgi = build_wsgi_app(slack_handler=handler, readiness_problems=list, metrics=bytes)
    server = make_server("127.0.0.1", 0, wsgi, server_class=_ThreadingWsgiServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SLACK_EVENTS_PATH}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(slack: RunningSlackSandbox, app_url: str) -> SimulatedSlackClient:
    return SimulatedSlackClient(slack.workspace, SignedForwarder(app_url, SECRET), slash_command="/cx")
