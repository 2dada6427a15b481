"""Socket Mode: Bolt's websocket-client adapter, tuned to notice a dead connection and reconnect in seconds.

Why websocket-client (`slack_sdk.socket_mode.websocket_client`): the bot's Bolt app and listeners are
synchronous, and this client is too (threads, no event loop to host), a small pure-Python dependency; on an
abrupt drop it notices at once (the read fails) and reconnects as soon as Slack answers again. As shipped
it retried every 0.5 s forever (a fresh `apps.connections.open`, a Tier 1 method, and two ERROR lines each
time) and never timed out a ping; here the retries back off (0.5 s doubling to 4 s, so a reconnect comes
at most ~4.5 s after Slack is back), a ping unanswered for `PING_TIMEOUT` seconds drops the connection,
and a 429 on `apps.connections.open` waits its Retry-After without blocking shutdown. The built-in client
(Bolt's default) spun a whole core on a closed socket and took ~40 s to notice; bench/socket_mode.py
measures each.

Every envelope is acknowledged, also those no listener handles (Slack would retry them) and those too
malformed to hand to Bolt; an unreadable frame is one WARNING line. The connection's state goes to a
`LinkObserver` (readiness and metrics).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

import websocket
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.socket_mode.websocket_client import SocketModeClient
from websocket import WebSocketApp

log = logging.getLogger(__name__)

PING_INTERVAL = 5.0
"""Seconds between our pings; with PING_TIMEOUT, a silently dead connection is dropped within ~9 s."""
PING_TIMEOUT = 4.0
FIRST_RETRY = 0.5
MAX_RETRY = 4.0
WEB_API_TIMEOUT = 10
CONNECT_TIMEOUT = 10.0
"""Seconds a WebSocket connect (and handshake) may take before the try counts as failed."""
REFUSED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type"}
)
CONTROL_FRAMES = frozenset({"hello", "disconnect"})


class LinkObserver(Protocol):
    """Told when the Socket Mode connection comes up and goes down (readiness, metrics)."""

    def connected(self) -> None: ...

    def disconnected(self, reason: str) -> None: ...


class SocketModeRefusedError(Exception):
    """Slack refused the app-level token (the message names Slack's error)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _RetryLaterError(Exception):
    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds


def retry_delay(failures: int) -> float:
    """Seconds to wait before attempt `failures + 1`: none after a drop, then 0.5 s doubling to 4 s."""
    if failures <= 0:
        return 0.0
    return float(min(MAX_RETRY, FIRST_RETRY * 2 ** (failures - 1)))


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "connection closed"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class ResilientSocketModeClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client with backoff, ping timeouts and a `LinkObserver`."""

    def __init__(
        self,
        app_token: str,
        web_client: WebClient,
        observer: LinkObserver,
        *,
        ping_interval: float = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        concurrency: int = 10,
    ) -> None:
        self._observer = observer
        self._ping_timeout = ping_timeout
        self._stopping = threading.Event()
        self._failures = 0
        self._last_error: BaseException | None = None
        self._up: WebSocketApp | None = None
        self._running: WebSocketApp | None = None
        self._ran: WebSocketApp | None = None
        self._attempted_at = 0.0
        super().__init__(
            app_token=app_token,
            logger=log,
            web_client=web_client,
            ping_interval=ping_interval,
            concurrency=concurrency,
        )
        # websocket-client logs each failed attempt at ERROR (and its __init__ resets that logger's
        # level): this client reports drops and retries itself, once each
        logging.getLogger("websocket").setLevel(logging.CRITICAL)
        # a connect to an address that drops packets would otherwise wait for the OS (minutes), and
        # close() (SIGTERM) waits for the session thread
        websocket.setdefaulttimeout(CONNECT_TIMEOUT)

    # -- the first connection (start-up) ---------------------------------------------------------

    def start(self) -> None:
        """Open the first connection; raises `SocketModeRefusedError` when Slack refuses the token. Any other
        failure (Slack unreachable) is logged and retried in the background."""
        try:
            self.wss_uri = self.issue_new_wss_url()
        except SocketModeRefusedError:
            raise
        except Exception as exc:
            self._last_error = exc
            self._failures = 1
            self._report_down(_describe(exc))
            log.warning("Socket Mode: cannot open a connection yet (%s); retrying", _describe(exc))
            if not self.current_app_monitor_started:
                self.current_app_monitor_started = True
                self.current_app_monitor.start()
            return
        self.connect()

    # -- one session ------------------------------------------------------------------------------

    def connect(self) -> None:
        """Replace the current session by a new one on `wss_uri` (run by the session runner thread)."""

        def on_open(ws: WebSocketApp) -> None:
            if ws is not self.current_session:
                return
            self._failures = 0
            self._up = ws
            self._observer.connected()
            log.info("Socket Mode: connected")

        def on_message(ws: WebSocketApp, message: str | bytes) -> None:
            self.enqueue_message(message)

        def on_error(ws: WebSocketApp, error: Exception) -> None:
            self._last_error = error

        def on_close(ws: WebSocketApp, code: int | None = None, text: str | None = None) -> None:
            if self._stopping.is_set():
                return
            reason = _describe(self._last_error) if self._last_error else f"closed (code {code})"
            if ws is self._up:
                self._up = None
                self._report_down(reason)
                log.warning("Socket Mode: connection lost (%s); reconnecting", reason)
            elif ws is self.current_session:
                self._failures += 1  # it never opened (or it replaced a live one, a refresh, and failed)
                self._report_down(reason)  # the latest reason, for /readyz
            if ws is not self.current_session:
                return  # replaced (a refresh): the new session carries on
            self._last_error = None
            if self.auto_reconnect_enabled:
                self.connect_to_new_endpoint()

        old = self.current_session
        if self.wss_uri is None:
            self.wss_uri = self.issue_new_wss_url()
        self.current_session = WebSocketApp(
            self.wss_uri, on_open=on_open, on_message=on_message, on_error=on_error, on_close=on_close
        )
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        if not self.current_app_monitor_started:
            self.current_app_monitor_started = True
            self.current_app_monitor.start()
        if old is not None:  # one runner thread runs one session: the old one must end first
            if old is self._up:
                self._up = None  # replaced on purpose (a refresh): not a lost connection
            old.close()

    def _report_down(self, reason: str) -> None:
        self._observer.disconnected(reason)

    def _run_current_session(self) -> None:
        session = self.current_session
        if session is None or session is self._ran or self._stopping.is_set():
            return  # a session runs once: a new one comes with a new URL from connect_to_new_endpoint
        self._ran = self._running = session
        try:
            session.run_forever(
                ping_interval=self.ping_interval,
                ping_timeout=self._ping_timeout,
                http_proxy_host=self.http_proxy_host,
                http_proxy_port=self.http_proxy_port,
                http_proxy_auth=self.http_proxy_auth,
                proxy_type=self.proxy_type,
            )
        except Exception as exc:  # run_forever reports through on_error; this is a last resort
            log.warning("Socket Mode: the session stopped (%s)", _describe(exc))
        finally:
            self._running = None

    def _monitor_current_session(self) -> None:
        """A safety net: reconnect when no session runs and none was attempted for a while."""
        if self._stopping.is_set() or not self.auto_reconnect_enabled:
            return
        session = self.current_session
        idle = self._running is None and (session is None or session is self._ran)
        if idle and time.monotonic() - self._attempted_at > self.ping_interval:
            self.connect_to_new_endpoint()

    # -- reconnecting -----------------------------------------------------------------------------

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        """Wait out the backoff (interrupted by `close()`), then open a new session; never raises."""
        before = self.current_session
        acquired = self.connect_operation_lock.acquire(blocking=True, timeout=5)
        try:
            if self.current_session is not before and not force:
                return  # another thread replaced the session while this one waited
            if not (force or (acquired and not self.is_connected())):
                return
            delay = retry_delay(self._failures)
            while not self._stopping.is_set():
                if delay and self._stopping.wait(delay):
                    return
                self._attempted_at = time.monotonic()
                try:
                    self.wss_uri = self.issue_new_wss_url()
                except _RetryLaterError as wait:
                    delay = max(wait.seconds, retry_delay(self._failures))
                    log.warning("Socket Mode: %s; retrying in %.0f s", wait, delay)
                    continue
                except Exception as exc:
                    self._failures += 1
                    delay = retry_delay(self._failures)
                    self._report_down(_describe(exc))
                    if self._failures in {1, 10} or self._failures % 100 == 0:
                        log.warning("Socket Mode: cannot open a connection (%s); retrying", _describe(exc))
                    continue
                self.connect()
                return
        finally:
            if acquired:
                self.connect_operation_lock.release()

    def issue_new_wss_url(self) -> str:
        """`apps.connections.open`; a refused token raises `SocketModeRefusedError`, a 429 waits."""
        try:
            response = self.web_client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in REFUSED_TOKEN_ERRORS:
                raise SocketModeRefusedError(error) from None
            if error == "ratelimited":
                seconds = float(exc.response.headers.get("Retry-After", "30"))
                raise _RetryLaterError(seconds, "apps.connections.open is rate limited") from None
            raise
        return str(response["url"])

    # -- frames -----------------------------------------------------------------------------------

    def enqueue_message(self, message: str | bytes) -> None:
        """Only JSON objects reach the listeners; anything else is one WARNING line and dropped."""
        if isinstance(message, bytes):
            log.warning("Socket Mode: ignored a binary frame (%d bytes)", len(message))
            return
        try:
            decoded = json.loads(message)
        except ValueError:
            log.warning("Socket Mode: ignored a frame that is not JSON (%d characters)", len(message))
            return
        if not isinstance(decoded, dict):
            log.warning("Socket Mode: ignored a frame that is not a JSON object")
            return
        super().enqueue_message(message)

    def close(self) -> None:
        self._stopping.set()
        super().close()
        if self._up is not None:
            self._up = None


class UnhandledRequestFilter(logging.Filter):
    """Bolt logs an unhandled request as a long multi-line suggestion; the handler logs one line itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unhandled request")


class SocketModeListener:
    """Hands each envelope to the Bolt app and acknowledges every envelope, handled or not."""

    def __init__(self, app: App, client: ResilientSocketModeClient) -> None:
        self.app = app
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)
        client.message_listeners.append(self.check_frame)
        bolt_logger = logging.getLogger("slack_bolt.App")
        if not any(isinstance(f, UnhandledRequestFilter) for f in bolt_logger.filters):
            bolt_logger.addFilter(UnhandledRequestFilter())

    def connect(self) -> None:
        """The first connection; raises `SocketModeRefusedError` when Slack refuses the app token."""
        self.client.start()

    def close(self) -> None:
        """Stop reconnecting, close the connection, let the envelopes in hand finish."""
        self.client.close()

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        started = time.time()
        response = run_bolt_app(self.app, req)
        if response.status == 200:
            send_response(client, req, response, started)
            return
        if response.status == 404:
            log.warning(
                "Socket Mode: no listener for a %s envelope (%s); acknowledged so Slack does not retry it",
                req.type,
                _kind(req.payload),
            )
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def check_frame(self, client: BaseSocketModeClient, message: dict[str, Any], raw: str | None) -> None:
        """Frames Bolt never sees: an envelope without a payload is acknowledged, an unknown frame noted."""
        if SocketModeRequest.from_dict(message) is not None:
            return
        envelope_id = message.get("envelope_id")
        kind = message.get("type")
        if isinstance(envelope_id, str) and envelope_id:
            log.warning("Socket Mode: acknowledged a malformed %s envelope (no payload)", kind or "untyped")
            client.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id))
        elif kind not in CONTROL_FRAMES:
            log.warning("Socket Mode: ignored an unknown frame (type %r)", kind)


def _kind(payload: dict[str, Any]) -> str:
    """What the payload is, in a few words (never its content)."""
    for key in ("command", "type"):
        if isinstance(payload.get(key), str):
            event = payload.get("event")
            if key == "type" and isinstance(event, dict) and isinstance(event.get("type"), str):
                return f"event {event['type']}"
            return f"{key} {payload[key]}"
    return "no type"


def build_socket_mode(
    app: App,
    app_token: str,
    api_url: str,
    observer: LinkObserver,
    *,
    ping_interval: float = PING_INTERVAL,
    ping_timeout: float = PING_TIMEOUT,
) -> SocketModeListener:
    """The listener for `app` over a new client; nothing connects until `connect()`. The client's own
    WebClient has no retry handlers: a 429 or an outage is the reconnect loop's to wait out."""
    web_client = WebClient(base_url=api_url, timeout=WEB_API_TIMEOUT)
    client = ResilientSocketModeClient(
        app_token, web_client, observer, ping_interval=ping_interval, ping_timeout=ping_timeout
    )
    return SocketModeListener(app, client)
