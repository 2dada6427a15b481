"""The demo page's HTTP server: the page itself and the small JSON API its script talks to.

| request | does |
| --- | --- |
| `GET /` , `GET /static/<file>` | the page (HTML, script, style; no build step, nothing from the network) |
| `GET /api/state?user=U…` | what that person sees (see `page_state`) |
| `POST /api/command` | `{user, channel, text}`: a slash command typed in a channel |
| `POST /api/action` | `{user, element, block_id, channel, message_ts / ephemeral_ts / view_id}` |
| `POST /api/views/submit` | `{user, view_id, values}`: a modal's submit button |
| `POST /api/views/close` | `{user, view_id}`: a modal's close button |
| `POST /api/home` | `{user}`: the person opens the app's Home tab |
| `POST /api/message` | `{user, channel, text}`: a message typed in a channel (links may unfurl) |
| `POST /api/incidents` | `{severity?, application?}`: a new incident on the Coralogix side |

POSTs must be JSON: a page on another site cannot send that without the browser asking first, so it
cannot click buttons in someone's demo. Every request must also be addressed to this server by a name
it knows (`Host`) and, when a browser says where it comes from (`Origin`), come from this page: anything
else gets 403, which shuts out other sites and DNS rebinding alike.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from bot.demo.client import Click, DemoRequestError, Outcome, SimulatedSlackClient
from bot.demo.coralogix_side import IncidentFeed
from bot.demo.page_state import page_state
from bot.demo.payloads import JsonObject

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


def asset(name: str) -> bytes:
    """One of the page's files, shipped inside the package (`bot/demo/static/`)."""
    return resources.files("bot.demo").joinpath("static", name).read_bytes()


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def own_addresses(host: str, port: int) -> frozenset[str]:
    """The `host:port` values a request to a page served on `host`, `port` may carry (lower case).

    The loopback names always; the host the demo was given; for a wildcard bind, this machine's names.
    """
    names = {*LOOPBACK_NAMES, host}
    if host in WILDCARD_HOSTS:
        names |= {socket.gethostname(), socket.getfqdn()}
    elif ":" in host and not host.startswith("["):
        names.add(f"[{host}]")  # an IPv6 address is bracketed in Host and Origin
    return frozenset(f"{name.lower()}:{port}" for name in names if name and name not in WILDCARD_HOSTS)


def _with_port(authority: str) -> str:
    """`authority` with the port HTTP implies when it has none."""
    authority = authority.strip().lower()
    if authority.endswith("]") or ":" not in authority:
        return f"{authority}:80"
    return authority


def foreign_header(headers: Message, allowed: Iterable[str]) -> str | None:
    """Which of `Host` and `Origin` names another address (None when both are this server's own)."""
    allowed = frozenset(allowed)
    if _with_port(headers.get("Host") or "") not in allowed:
        return "Host"
    origin = headers.get("Origin")
    if origin is not None:
        url = urlsplit(origin.strip())
        if url.scheme != "http" or url.path not in ("", "/") or _with_port(url.netloc) not in allowed:
            return "Origin"
    return None


class _PageHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], client: SimulatedSlackClient, feed: IncidentFeed, given_host: str
    ) -> None:
        super().__init__(address, _PageHandler)
        self.client = client
        self.feed = feed
        self.post_report: Callable[[str], str] | None = None
        self.send_webhook: Callable[[], str] | None = None
        port = int(self.server_address[1])
        self.allowed = own_addresses(given_host, port) | own_addresses(str(self.server_address[0]), port)


class _PageHandler(BaseHTTPRequestHandler):
    server_version = "IncidentBotDemo/1.0"

    @property
    def _app(self) -> _PageHttpServer:
        return cast(_PageHttpServer, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo page: " + format, *args)

    def _refused(self) -> bool:
        """Answer 403 when the request is addressed to, or comes from, another site."""
        header = foreign_header(self.headers, self._app.allowed)
        if header is None:
            return False
        log.warning(
            "demo page: refused %s %s with %s %r", self.command, self.path, header, self.headers[header]
        )
        self._send_json(403, {"ok": False, "error": f"this demo does not answer for that {header}"})
        return True

    def do_GET(self) -> None:
        if self._refused():
            return
        url = urlsplit(self.path)
        if url.path == "/":
            self._send_asset("index.html")
        elif url.path.startswith("/static/") and url.path[len("/static/") :] in ASSETS:
            self._send_asset(url.path[len("/static/") :])
        elif url.path == "/api/state":
            user = (parse_qs(url.query).get("user") or [""])[0]
            self._answer(lambda: page_state(self._app.client, self._app.feed, _user_id(user)))
        else:
            self._send_json(404, {"ok": False, "error": "not found"})

    def do_POST(self) -> None:
        if self._refused():
            return
        path = urlsplit(self.path).path
        route = {
            "/api/command": self._command,
            "/api/action": self._action,
            "/api/views/submit": self._submit_view,
            "/api/views/close": self._close_view,
            "/api/home": self._open_home,
            "/api/message": self._message,
            "/api/incidents": self._new_incident,
            "/api/reports": self._post_report,
            "/api/webhook": self._send_webhook,
        }.get(path)
        if route is None:
            self._send_json(404, {"ok": False, "error": "not found"})
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            self._send_json(415, {"ok": False, "error": "send JSON (Content-Type: application/json)"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_json(413, {"ok": False, "error": "request too large"})
            return
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"ok": False, "error": "the body is not JSON"})
            return
        if not isinstance(body, dict):
            self._send_json(400, {"ok": False, "error": "the body must be a JSON object"})
            return
        self._answer(lambda: route(body))

    # -- the API -----------------------------------------------------------------------------------

    def _command(self, body: JsonObject) -> JsonObject:
        client = self._app.client
        return client.run_command(
            _user_id(_text(body, "user")), _text(body, "channel"), _text(body, "text")
        ).as_json()

    def _action(self, body: JsonObject) -> JsonObject:
        element = body.get("element")
        if not isinstance(element, dict):
            raise DemoRequestError("element must be the Block Kit element that was used")
        state_values = body.get("state_values") or {}
        if not isinstance(state_values, dict):
            raise DemoRequestError("state_values must be an object")
        click = Click(
            element=element,
            block_id=_optional_text(body, "block_id") or "",
            channel=_optional_text(body, "channel"),
            message_ts=_optional_text(body, "message_ts"),
            ephemeral_ts=_optional_text(body, "ephemeral_ts"),
            view_id=_optional_text(body, "view_id"),
            state_values=state_values,
            home=body.get("home") is True,
            unfurl_url=_optional_text(body, "unfurl_url"),
        )
        return self._app.client.click(_user_id(_text(body, "user")), click).as_json()

    def _open_home(self, body: JsonObject) -> JsonObject:
        return self._app.client.open_home(_user_id(_text(body, "user"))).as_json()

    def _message(self, body: JsonObject) -> JsonObject:
        user = _user_id(_text(body, "user"))
        return self._app.client.post_message(user, _text(body, "channel"), _text(body, "text")).as_json()

    def _submit_view(self, body: JsonObject) -> JsonObject:
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise DemoRequestError("values must be an object")
        user = _user_id(_text(body, "user"))
        return self._app.client.submit_view(user, _text(body, "view_id"), values).as_json()

    def _close_view(self, body: JsonObject) -> JsonObject:
        user = _user_id(_text(body, "user"))
        return self._app.client.close_view(user, _text(body, "view_id")).as_json()

    def _new_incident(self, body: JsonObject) -> JsonObject:
        try:
            incident_id = self._app.feed.create(
                severity=_optional_text(body, "severity"), application=_optional_text(body, "application")
            )
        except ValueError as exc:
            raise DemoRequestError(str(exc)) from None
        return {**Outcome(True).as_json(), "incident_id": incident_id}

    def _post_report(self, body: JsonObject) -> JsonObject:
        post = self._app.post_report
        if post is None:
            raise DemoRequestError("shift reports are not set up in this demo")
        try:
            said = post(_text(body, "route"))
        except ValueError as exc:
            raise DemoRequestError(str(exc)) from None
        return {**Outcome(True).as_json(), "said": said}

    def _send_webhook(self, body: JsonObject) -> JsonObject:
        send = self._app.send_webhook
        if send is None:
            raise DemoRequestError("the webhook is not set up in this demo")
        return {**Outcome(True).as_json(), "said": send()}

    # -- plumbing ----------------------------------------------------------------------------------

    def _answer(self, produce: Any) -> None:
        try:
            self._send_json(200, produce())
        except DemoRequestError as exc:
            self._send_json(400, {"ok": False, "error": str(exc)})
        except Exception:  # a demo bug: say so on the page, keep serving
            log.exception("demo page: %s %s failed", self.command, self.path)
            self._send_json(500, {"ok": False, "error": "the demo server failed; see its log"})

    def _send_asset(self, name: str) -> None:
        self._send(200, asset(name), ASSETS[name])

    def _send_json(self, status: int, body: JsonObject) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("demo page: the browser left before the answer to %s", self.path)


def _text(body: JsonObject, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DemoRequestError(f"{key} is required (text)")
    return value


def _optional_text(body: JsonObject, key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DemoRequestError(f"{key} must be text")
    return value


def _user_id(value: str) -> str:
    if not value.startswith(("U", "W")):
        raise DemoRequestError("user must be a Slack user ID such as U0ALICE")
    return value


class DemoPageServer:
    """Serves the page and its API on a background thread until `stop()`."""

    def __init__(
        self, client: SimulatedSlackClient, feed: IncidentFeed, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._server = _PageHttpServer((host, port), client, feed, host)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-page", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{self.port}/"

    def start(self) -> None:
        self._thread.start()

    def serve_webhook(self, send_webhook: Callable[[], str]) -> None:
        """The "Send Coralogix's webhook" control: `send_webhook()` sends one, says what the bot answered."""
        self._server.send_webhook = send_webhook

    def serve_reports(self, post_report: Callable[[str], str]) -> None:
        """The "Post shift report now" control: `post_report(route)` posts one and says what it did."""
        self._server.post_report = post_report

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
