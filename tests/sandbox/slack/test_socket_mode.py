"""The Socket Mode stand-in speaks Slack's protocol: spoken to here by a bare WebSocket client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import (
    SANDBOX_APP_TOKEN,
    SANDBOX_BOT_TOKEN,
    NoSocketConnectionError,
    RunningSlackSandbox,
    SocketModeServer,
)
from tests.e2e.harness import wait_for


@pytest.fixture
def server(sandbox: RunningSlackSandbox) -> Iterator[SocketModeServer]:
    running = SocketModeServer(sandbox.workspace, ack_timeout=0.3, refresh_grace=0.2).start()
    yield running
    running.stop()


def open_url(sandbox: RunningSlackSandbox, token: str = SANDBOX_APP_TOKEN) -> str:
    answer = WebClient(base_url=sandbox.api_url, timeout=5).apps_connections_open(app_token=token)
    return str(answer["url"])


def connect(sandbox: RunningSlackSandbox) -> websocket.WebSocket:
    return websocket.create_connection(open_url(sandbox), timeout=5)


def frame(ws: websocket.WebSocket) -> dict[str, Any]:
    decoded = json.loads(ws.recv())
    assert isinstance(decoded, dict)
    return decoded


def test_apps_connections_open_wants_the_app_token(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    assert open_url(sandbox).startswith(f"ws://127.0.0.1:{server.port}/link/?ticket=")
    for token, error in ((SANDBOX_BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-wrong", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            open_url(sandbox, token)
        assert refused.value.response["error"] == error


def test_a_url_without_a_ticket_it_issued_is_refused(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://127.0.0.1:{server.port}/link/?ticket=made-up", timeout=5)
    assert refused.value.status_code == 401
    assert server.refused_handshakes == 1


def test_hello_then_envelopes_whose_acks_are_recorded(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    ws = connect(sandbox)
    hello = frame(ws)
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0SANDBOX"}

    envelope = server.slash_command({"command": "/cx", "text": "help"})
    sent = frame(ws)
    assert sent == {
        "envelope_id": envelope.envelope_id,
        "payload": {"command": "/cx", "text": "help"},
        "type": "slash_commands",
        "accepts_response_payload": True,
    }
    ws.send(json.dumps({"envelope_id": envelope.envelope_id, "payload": {"text": "usage"}}))
    wait_for(lambda: envelope.acked, 5, "the ack")
    assert envelope.ack_payload == {"text": "usage"}
    assert server.unacknowledged() == []
    ws.close()


def test_an_unacknowledged_event_is_retried_and_a_command_expires(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    ws = connect(sandbox)
    frame(ws)
    event = server.event({"type": "app_home_opened", "user": "U0BOB", "event_ts": "1.5"})
    command = server.slash_command({"command": "/cx"})
    first = frame(ws)
    assert first["type"] == "events_api" and first["retry_attempt"] == 0
    assert first["payload"]["event"]["type"] == "app_home_opened"
    frame(ws)  # the command
    retry = frame(ws)  # 0.3 s later, no ack: Slack delivers the event again
    assert retry["retry_attempt"] == 1 and retry["retry_reason"] == "timeout"
    assert retry["payload"] == first["payload"] and retry["envelope_id"] != first["envelope_id"]
    wait_for(lambda: command.expired, 5, "the command's deadline")
    assert event.retried and not command.retried
    ws.send(json.dumps({"envelope_id": retry["envelope_id"]}))
    wait_for(
        lambda: not any(e.envelope_id == retry["envelope_id"] for e in server.unacknowledged()), 5, "ack"
    )
    ws.close()


def test_refresh_requested_sends_disconnect_then_closes(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    ws = connect(sandbox)
    frame(ws)
    server.disconnect("warning")
    assert frame(ws)["reason"] == "warning"
    server.disconnect("refresh_requested")
    goodbye = frame(ws)
    assert goodbye["type"] == "disconnect" and goodbye["reason"] == "refresh_requested"
    with pytest.raises(NoSocketConnectionError):
        server.slash_command({"command": "/cx"})  # the draining connection gets no new envelopes
    wait_for(lambda: server.open_connections() == 0, 5, "the close after the grace")


def test_kill_cuts_without_a_close_frame_and_restart_listens_on_the_same_port(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    ws = connect(sandbox)
    frame(ws)
    port = server.port
    server.kill()
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        ws.recv()
    assert server.open_connections() == 0
    with pytest.raises(ConnectionRefusedError):
        connect(sandbox)
    with pytest.raises(NoSocketConnectionError):
        server.slash_command({"command": "/cx"})

    server.restart()
    again = connect(sandbox)
    assert frame(again)["type"] == "hello" and server.port == port
    assert server.connections_opened == 2
    again.close()


def test_an_unreadable_frame_from_the_app_is_kept_aside(
    sandbox: RunningSlackSandbox, server: SocketModeServer
) -> None:
    ws = connect(sandbox)
    frame(ws)
    ws.send("not json")
    wait_for(lambda: server.unreadable_frames == ["not json"], 5, "the unreadable frame")
    ws.close()
