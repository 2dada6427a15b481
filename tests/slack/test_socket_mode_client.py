"""The bot's Socket Mode client against the stand-in: refusals, outages at start, 429s, backoff, state."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.health import Readiness
from bot.metrics import Metrics
from bot.sandbox.slack import SANDBOX_APP_TOKEN, RunningSlackSandbox, SocketModeServer, start_slack_sandbox
from bot.sandbox.slack.workspace import SlackWorkspace
from bot.slack.link_state import LinkState
from bot.slack.socket_mode import (
    FIRST_RETRY,
    MAX_RETRY,
    ResilientSocketModeClient,
    SocketModeRefusedError,
    retry_delay,
)
from tests.e2e.harness import wait_for

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Recorder:
    """A LinkObserver that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self._lock = threading.Lock()

    def connected(self) -> None:
        with self._lock:
            self.events.append("up")

    def disconnected(self, reason: str) -> None:
        with self._lock:
            self.events.append(f"down: {reason}")


@pytest.fixture
def slack() -> Iterator[RunningSlackSandbox]:
    with start_slack_sandbox(SlackWorkspace.with_defaults()) as running:
        yield running


@pytest.fixture
def server(slack: RunningSlackSandbox) -> Iterator[SocketModeServer]:
    running = SocketModeServer(slack.workspace).start()
    yield running
    running.stop()


def client_for(
    slack: RunningSlackSandbox, observer: Recorder, token: str = SANDBOX_APP_TOKEN
) -> ResilientSocketModeClient:
    return ResilientSocketModeClient(token, WebClient(base_url=slack.api_url, timeout=5), observer)


def test_retries_back_off_to_a_few_seconds() -> None:
    delays = [retry_delay(n) for n in range(7)]
    assert delays == [0.0, FIRST_RETRY, 1.0, 2.0, MAX_RETRY, MAX_RETRY, MAX_RETRY]


def test_a_refused_app_token_raises_at_start(slack: RunningSlackSandbox, server: SocketModeServer) -> None:
    client = client_for(slack, Recorder(), token="xapp-1-revoked")
    try:
        with pytest.raises(SocketModeRefusedError) as refused:
            client.start()
        assert refused.value.error == "invalid_auth"
        assert server.connections_opened == 0
    finally:
        client.close()


def test_an_outage_at_start_is_waited_out(slack: RunningSlackSandbox, server: SocketModeServer) -> None:
    slack.workspace.faults.fail("apps.connections.open", status=503, calls=2)
    observer = Recorder()
    client = client_for(slack, observer)
    try:
        client.start()  # does not raise: Slack being down is not a refusal
        assert observer.events[0].startswith("down: ")
        wait_for(lambda: "up" in observer.events, 20, "the connection once Slack answers")
        assert server.open_connections() == 1
    finally:
        client.close()


def test_a_rate_limited_connections_open_waits_its_retry_after(
    slack: RunningSlackSandbox, server: SocketModeServer
) -> None:
    observer = Recorder()
    client = client_for(slack, observer)
    try:
        client.start()
        wait_for(lambda: observer.events == ["up"], 10, "the first connection")
        slack.workspace.faults.rate_limit("apps.connections.open", calls=1, retry_after=1)
        server.disconnect("refresh_requested")
        wait_for(lambda: server.connections_opened == 2, 15, "the connection after the 429")
        assert len(slack.workspace.calls_to("apps.connections.open")) == 3
    finally:
        client.close()


def test_close_stops_reconnecting_while_slack_is_away(
    slack: RunningSlackSandbox, server: SocketModeServer
) -> None:
    observer = Recorder()
    client = client_for(slack, observer)
    client.start()
    wait_for(lambda: observer.events == ["up"], 10, "the first connection")
    server.kill()
    wait_for(lambda: len(observer.events) == 2, 10, "the drop noticed")
    assert observer.events[1].startswith("down: ")
    client.close()  # returns although a reconnect is pending
    server.restart()
    calls = len(slack.workspace.calls_to("apps.connections.open"))
    wait_for(lambda: server.open_connections() == 0, 5, "no connection")
    assert len(slack.workspace.calls_to("apps.connections.open")) == calls


def test_readiness_is_lost_only_after_the_grace_and_names_the_reason() -> None:
    now = [100.0]
    readiness = Readiness(coralogix_window=60, socket_mode_grace=5, clock=lambda: now[0])
    readiness.coralogix_ok()
    metrics = Metrics()
    link = LinkState(readiness, metrics)

    def problems() -> list[str]:
        return readiness.problems(lambda: None)

    assert problems() == []
    now[0] += 6
    assert problems() == [
        "slack: the Socket Mode connection is down for 6 s (not connected yet); reconnecting"
    ]
    readiness.coralogix_ok()
    link.connected()
    assert problems() == []
    link.disconnected("ConnectionRefusedError")
    now[0] += 5
    assert problems() == []
    now[0] += 1
    assert "(ConnectionRefusedError)" in problems()[0]
    link.connected()
    assert problems() == []
    assert metrics.socket_mode_connected._value.get() == 1
    assert metrics.socket_mode_reconnects._value.get() == 1
    assert metrics.socket_mode_disconnects._value.get() == 1


def test_http_mode_readiness_knows_nothing_of_socket_mode() -> None:
    readiness = Readiness(coralogix_window=60, clock=lambda: 0.0)
    readiness.coralogix_ok()
    readiness.socket_mode_down("ignored: Socket Mode was never expected")
    assert readiness.problems(lambda: None) == []


class SilentPeer:
    """A WebSocket server that completes the handshake, says hello, then never answers again (a peer
    gone without a FIN: a dead NAT entry, a pulled cable)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = re.search(rb"Sec-WebSocket-Key: (\S+)", request, re.IGNORECASE)
            assert key is not None
            accept = base64.b64encode(hashlib.sha1(key.group(1) + WEBSOCKET_GUID).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            hello = json.dumps({"type": "hello"}).encode()
            conn.sendall(bytes([0x81, len(hello)]) + hello)
            self.accepted.append(conn)  # read nothing, answer nothing: pings go unanswered

    def close(self) -> None:
        self._listener.close()
        for conn in self.accepted:
            conn.close()


def test_a_silently_dead_connection_is_dropped_by_the_ping_timeout(slack: RunningSlackSandbox) -> None:
    peer = SilentPeer()
    slack.workspace.attach_socket_mode(lambda: f"ws://127.0.0.1:{peer.port}/link/?ticket=t")
    observer = Recorder()
    client = ResilientSocketModeClient(
        SANDBOX_APP_TOKEN,
        WebClient(base_url=slack.api_url, timeout=5),
        observer,
        ping_interval=1.0,
        ping_timeout=0.5,
    )
    try:
        client.start()
        wait_for(lambda: observer.events[:1] == ["up"], 10, "the connection")
        wait_for(lambda: len(observer.events) >= 2, 10, "the dead connection noticed")
        assert "ping/pong timed out" in observer.events[1]
        wait_for(lambda: len(peer.accepted) >= 2, 10, "a new connection")
    finally:
        client.close()
        peer.close()
