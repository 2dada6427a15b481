"""The forwarder over a real socket: what arrives at the request URL, and how failures are named."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.demo.forwarder import SLACK_USER_AGENT, SignedForwarder

SECRET = "forwarder-test-secret"


@dataclass
class RequestUrl:
    """A stand-in request URL: records each request and answers with `status` and `body`."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def request_url() -> Iterator[tuple[RequestUrl, str]]:
    script = RequestUrl()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            script.received.append(({k: v for k, v in self.headers.items()}, body))
            time.sleep(script.delay)
            try:
                self.send_response(script.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(script.body)))
                self.end_headers()
                self.wfile.write(script.body)
            except (BrokenPipeError, ConnectionResetError):  # the forwarder gave up waiting
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()


def test_sends_a_signed_form_as_slack_does(request_url: tuple[RequestUrl, str]) -> None:
    script, url = request_url
    script.body = b'{"text": "hello"}'
    reply = SignedForwarder(url, SECRET).post_form({"command": "/cx", "text": "list sev=critical"})
    headers, body = script.received[0]
    assert dict(parse_qsl(body.decode())) == {"command": "/cx", "text": "list sev=critical"}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["User-Agent"] == SLACK_USER_AGENT
    assert SignatureVerifier(SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert reply.ok and reply.failure() is None
    assert reply.json_body() == {"text": "hello"}


def test_an_error_status_is_a_failure_with_its_code(request_url: tuple[RequestUrl, str]) -> None:
    script, url = request_url
    script.status, script.body = 401, b"invalid request"
    reply = SignedForwarder(url, SECRET).post_form({"payload": "{}"})
    assert not reply.ok
    assert reply.failure() == "http_status_401"
    assert reply.json_body() is None


def test_a_slow_app_times_out(request_url: tuple[RequestUrl, str]) -> None:
    script, url = request_url
    script.delay = 1.0
    reply = SignedForwarder(url, SECRET, timeout=0.2).post_form({"payload": "{}"})
    assert reply.status is None
    assert reply.failure() == "operation_timeout"


def test_nobody_listening_is_dispatch_failed() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    reply = SignedForwarder(f"http://127.0.0.1:{port}/slack/events", SECRET).post_form({"payload": "{}"})
    assert reply.failure() == "dispatch_failed"
