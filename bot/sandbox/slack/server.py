"""The Slack sandbox over HTTP: `/api/<method>`, `/response/<id>` and `GET /sandbox/state`."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.methods import APP_TOKEN_METHODS, METHODS
from bot.sandbox.slack.models import JsonObject, RecordedCall
from bot.sandbox.slack.request import bearer_token, decode_params
from bot.sandbox.slack.response_urls import NOT_FOUND_ERRORS, deliver
from bot.sandbox.slack.state import workspace_state
from bot.sandbox.slack.workspace import SlackWorkspace

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RESPONSE_PREFIX = "/response/"
STATE_PATH = "/sandbox/state"
MAX_BODY_BYTES = 5 * 1024 * 1024


class _SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients must not wait for SYN retries

    def __init__(self, address: tuple[str, int], workspace: SlackWorkspace) -> None:
        super().__init__(address, _SandboxHandler)
        self.workspace = workspace


class _SandboxHandler(BaseHTTPRequestHandler):
    server_version = "SlackSandbox/1.0"

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("slack sandbox: " + format, *args)

    @property
    def _workspace(self) -> SlackWorkspace:
        return cast(_SandboxServer, self.server).workspace

    def _route(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(API_PREFIX):
            self._api_call(url.path[len(API_PREFIX) :], url.query)
        elif url.path.startswith(RESPONSE_PREFIX) and self.command == "POST":
            self._response_url(url.path[len(RESPONSE_PREFIX) :])
        elif url.path == STATE_PATH and self.command == "GET":
            # no CORS header: no web page may read the workspace (the demo page asks its own server)
            self._send_json(200, workspace_state(self._workspace))
        else:
            self._send_json(404, {"ok": False, "error": "not_found"})

    def _api_call(self, method: str, query: str) -> None:
        workspace = self._workspace
        received_at = time.time()
        body = self._read_body()
        if body is None:
            return
        failure: SlackMethodError | None = None
        try:
            params = decode_params(query, self.headers.get("Content-Type", ""), body)
        except SlackMethodError as exc:
            params, failure = {}, exc
        token = bearer_token(self.headers.get("Authorization"), params)
        channel = params.get("channel")
        outcome = workspace.faults.decide(method, channel=str(channel) if channel else None)
        if outcome.delay > 0:
            time.sleep(outcome.delay)
        headers: dict[str, str] = {}
        if token == workspace.bot_token:  # Slack names the token's scopes; Bolt reads this header
            headers["x-oauth-scopes"] = ",".join(workspace.scopes)
        elif token == workspace.app_token:
            headers["x-oauth-scopes"] = "connections:write"
        if outcome.response is not None:
            status, answer = outcome.response.status, dict(outcome.response.body)
            headers.update(outcome.response.headers)
        elif failure is not None:
            status, answer = 200, _failure_body(failure)
        else:
            status, answer = _run_method(workspace, method, token, params)
        error = answer.get("error")
        workspace.record_call(
            RecordedCall(
                method=method,
                params=params,
                status=status,
                ok=answer.get("ok") is True,
                error=str(error) if error is not None else None,
                at=received_at,
            )
        )
        self._send_json(status, answer, headers)

    def _response_url(self, response_id: str) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            payload = _response_payload(self.headers.get("Content-Type", ""), body)
            deliver(self._workspace, response_id, payload)
        except SlackMethodError as exc:
            self._send_text(404 if exc.error in NOT_FOUND_ERRORS else 400, exc.error)
            return
        self._send_text(200, "ok")

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413 when it is too large to be Slack traffic."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_json(413, {"ok": False, "error": "request_too_large"})
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, body: JsonObject, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers or {})

    def _send_text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", {})

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a slow fault)
            logger.debug("slack sandbox: client left before the answer to %s", self.path)


def _run_method(
    workspace: SlackWorkspace, method: str, token: str | None, params: JsonObject
) -> tuple[int, JsonObject]:
    run = METHODS.get(method)
    if run is None:
        return 200, {"ok": False, "error": "unknown_method"}
    try:
        if method in APP_TOKEN_METHODS:
            workspace.check_app_token(token)
        else:
            workspace.check_token(token)
        return 200, {"ok": True, **run(workspace, params)}
    except SlackMethodError as exc:
        return 200, _failure_body(exc)
    except Exception:  # a sandbox bug: answer like a broken Slack and keep serving
        logger.exception("slack sandbox: %s failed", method)
        return 500, {"ok": False, "error": "fatal_error"}


def _failure_body(failure: SlackMethodError) -> JsonObject:
    body: JsonObject = {"ok": False, "error": failure.error}
    if failure.messages:
        body["response_metadata"] = {"messages": failure.messages}
        if failure.error == "invalid_blocks":
            body["errors"] = failure.messages
    return body


def _response_payload(content_type: str, body: bytes) -> JsonObject:
    """A response_url body: JSON, or a form with a `payload` field holding JSON."""
    try:
        if content_type.split(";", 1)[0].strip().lower() == "application/json":
            decoded = json.loads(body)
        else:
            decoded = json.loads(dict(parse_qsl(body.decode())).get("payload", ""))
    except ValueError:
        raise SlackMethodError("invalid_payload") from None
    if not isinstance(decoded, dict):
        raise SlackMethodError("invalid_payload")
    return decoded


@dataclass
class RunningSlackSandbox:
    """A sandbox serving on a background thread; a context manager that stops it on exit."""

    workspace: SlackWorkspace
    host: str
    port: int
    _server: _SandboxServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{_reachable(self.host)}:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to; slack_sdk appends the method name."""
        return f"{self.base_url}{API_PREFIX}"

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RunningSlackSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_slack_sandbox(
    workspace: SlackWorkspace | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningSlackSandbox:
    """Serves `workspace` (the default demo workspace when None) on host:port (0: a free port)."""
    workspace = workspace if workspace is not None else SlackWorkspace.with_defaults()
    server = _SandboxServer((host, port), workspace)
    bound_port = int(server.server_address[1])
    workspace.attach(f"http://{_reachable(host)}:{bound_port}")
    # a short poll makes stop() prompt: tests start and stop a sandbox each
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="slack-sandbox", daemon=True
    )
    thread.start()
    return RunningSlackSandbox(
        workspace=workspace, host=host, port=bound_port, _server=server, _thread=thread
    )


def _reachable(host: str) -> str:
    """A host to put in URLs: a wildcard bind address is reached through loopback."""
    return "127.0.0.1" if host in {"", "0.0.0.0"} else host
