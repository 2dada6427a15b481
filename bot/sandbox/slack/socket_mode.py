"""Slack's Socket Mode, stood in: a WebSocket server that speaks the documented protocol.

`apps.connections.open` (on the Web API stand-in, with the app-level token) hands out a `ws://…/link/?ticket=…`
URL of this server. A connection that presents a ticket gets `hello`, then envelopes (`slash_commands`,
`interactive`, `events_api`) that the app must acknowledge with `{"envelope_id": …}` within 3 s; an
Events API envelope left unacknowledged is delivered again (`retry_attempt` 1, 2, 3), as Slack does. The
server pings every connection, answers the app's pings, sends `disconnect` frames on demand, and can be
killed abruptly (every TCP connection cut without a close frame, nothing listening) and restarted on the
same port.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.slack.envelopes import (
    EVENTS_API,
    INTERACTIVE,
    RESPONSE_PAYLOAD_INTERACTIONS,
    SLASH_COMMANDS,
    Envelope,
    disconnect_frame,
    event_callback,
    hello_frame,
    new_envelope_id,
)
from bot.sandbox.slack.models import JsonObject
from bot.sandbox.slack.workspace import SlackWorkspace

logger = logging.getLogger(__name__)

LINK_PATH = "/link/"
ACK_TIMEOUT_SECONDS = 3.0
MAX_RETRIES = 3
TICKET_LIFETIME_SECONDS = 300.0


class NoSocketConnectionError(RuntimeError):
    """No app is connected: there is nobody to deliver an envelope to."""


@dataclass
class _Link:
    number: int
    connection: ServerConnection
    opened_at: float
    draining: bool = False
    frames_in: list[str] = field(default_factory=list)


class SocketModeServer:
    """The stand-in's WebSocket side; `start()` attaches it to the workspace's `apps.connections.open`."""

    def __init__(
        self,
        workspace: SlackWorkspace,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ping_interval: float = 10.0,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
        refresh_grace: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workspace = workspace
        self.host = host
        self.port = port
        self.ping_interval = ping_interval
        self.ack_timeout = ack_timeout
        self.refresh_grace = refresh_grace
        self._clock = clock
        self._lock = threading.RLock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._links: dict[int, _Link] = {}
        self._numbers = iter(range(1, 1 << 62))
        self._tickets: dict[str, float] = {}
        self._timers: list[threading.Timer] = []
        self.envelopes: list[Envelope] = []
        self.connections_opened = 0
        self.refused_handshakes = 0
        self.unreadable_frames: list[str] = []
        self._frames_in: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        """Listen (on `port`, or a free one the first time) and attach to the workspace."""
        sock = socket.create_server((self.host, self.port))
        self.port = int(sock.getsockname()[1])
        server = serve(
            self._handle,
            sock=sock,
            process_request=self._check_ticket,
            compression=None,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_interval,
            close_timeout=2,
            server_header="SlackSandbox/1.0",
        )
        thread = threading.Thread(target=server.serve_forever, name="socket-mode-sandbox", daemon=True)
        with self._lock:
            self._server, self._thread = server, thread
        thread.start()
        self.workspace.attach_socket_mode(self.new_url)
        return self

    @property
    def running(self) -> bool:
        with self._lock:
            return self._server is not None

    def kill(self) -> None:
        """An abrupt outage: every connection is cut with no close frame, and nothing listens."""
        with self._lock:
            server, links = self._server, list(self._links.values())
            self._server = self._thread = None
            self._links.clear()
        if server is not None:
            server.socket.close()  # nothing listens from now on; restart() may bind the port again
        for link in links:
            _cut(link.connection.socket)
        if server is not None:  # its handler threads take a while to notice: not waited for
            threading.Thread(target=server.shutdown, args=(False,), daemon=True).start()

    def restart(self) -> None:
        """Listen again on the same port after `kill()`."""
        if not self.running:
            self.start()

    def stop(self) -> None:
        """A clean stop: connections closed with 1001 (going away), timers cancelled."""
        with self._lock:
            server, thread, timers = self._server, self._thread, list(self._timers)
            self._server = self._thread = None
        for timer in timers:
            timer.cancel()
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SocketModeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- apps.connections.open -------------------------------------------------------------------------

    def new_url(self) -> str:
        """A fresh connection URL, as `apps.connections.open` answers."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = self._clock()
        host = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        return f"ws://{host}:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.workspace.app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self._lock:
            issued = self._tickets.get(ticket)
        if url.path != LINK_PATH or issued is None or self._clock() - issued > TICKET_LIFETIME_SECONDS:
            with self._lock:
                self.refused_handshakes += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or expired ticket\n")
        return None

    # -- connections -----------------------------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            link = _Link(next(self._numbers), connection, self._clock())
            self._links[link.number] = link
            self.connections_opened += 1
            live = sum(1 for other in self._links.values() if not other.draining)
        try:
            connection.send(json.dumps(hello_frame(self.workspace.app_id, live, link.number)))
            for message in connection:
                text = message if isinstance(message, str) else message.decode(errors="replace")
                self._on_frame(link, text)
        except (ConnectionClosed, OSError):
            pass
        finally:
            with self._lock:
                self._links.pop(link.number, None)

    def frames_in(self) -> list[str]:
        """Every frame the app sent, on any connection, in order."""
        with self._lock:
            return list(self._frames_in)

    def open_connections(self) -> int:
        with self._lock:
            return len(self._links)

    def _on_frame(self, link: _Link, text: str) -> None:
        """The app's frames are acknowledgements: `{"envelope_id": …, "payload": {…}?}`."""
        now = self._clock()
        link.frames_in.append(text)
        with self._lock:
            self._frames_in.append(text)
        try:
            frame = json.loads(text)
            envelope_id = frame["envelope_id"]
        except (ValueError, KeyError, TypeError):
            with self._lock:
                self.unreadable_frames.append(text)
            return
        with self._lock:
            for envelope in self.envelopes:
                if envelope.envelope_id == envelope_id and envelope.acked_at is None:
                    envelope.acked_at = now
                    payload = frame.get("payload")
                    envelope.ack_payload = payload if isinstance(payload, dict) else None

    def _target(self) -> _Link:
        """The newest connection not asked to go away; envelopes go there."""
        with self._lock:
            live = [link for link in self._links.values() if not link.draining]
        if not live:
            raise NoSocketConnectionError("no app is connected over Socket Mode")
        return max(live, key=lambda link: link.number)

    # -- what tests and the demo send ----------------------------------------------------------------

    def send_envelope(
        self,
        type_: str,
        payload: JsonObject,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_of: str | None = None,
    ) -> Envelope:
        """Deliver one envelope to the connected app; raises `NoSocketConnectionError` when none is."""
        link = self._target()
        envelope = Envelope(
            envelope_id=new_envelope_id(),
            type=type_,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            connection=link.number,
            sent_at=self._clock(),
            retry_attempt=retry_attempt,
            retry_of=retry_of,
        )
        with self._lock:
            self.envelopes.append(envelope)
        try:
            link.connection.send(json.dumps(envelope.frame()))
        except (ConnectionClosed, OSError) as exc:
            raise NoSocketConnectionError(f"the connection went away: {exc}") from exc
        timer = threading.Timer(self.ack_timeout, self._deadline, (envelope,))
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()
        return envelope

    def slash_command(self, form: JsonObject) -> Envelope:
        """A slash command: the payload is the fields Slack would have form-encoded over HTTP."""
        return self.send_envelope(SLASH_COMMANDS, form, accepts_response_payload=True)

    def interaction(self, payload: JsonObject) -> Envelope:
        """A click, a modal submission…: the JSON Slack would have put in the `payload` form field."""
        accepts = payload.get("type") in RESPONSE_PAYLOAD_INTERACTIONS
        return self.send_envelope(INTERACTIVE, payload, accepts_response_payload=accepts)

    def event(self, event: JsonObject) -> Envelope:
        """An Events API event, wrapped in its `event_callback`."""
        return self.send_envelope(
            EVENTS_API, event_callback(self.workspace.team_id, self.workspace.app_id, event)
        )

    def redeliver(self, envelope: Envelope) -> Envelope:
        """Deliver an Events API envelope's payload again as its next retry (same `event_id`), at once."""
        return self.send_envelope(
            envelope.type,
            envelope.payload,
            retry_attempt=envelope.retry_attempt + 1,
            retry_of=envelope.retry_of or envelope.envelope_id,
        )

    def send_raw(self, text: str | bytes) -> None:
        """Any frame at all (text, or binary when bytes), for malformed-input tests."""
        self._target().connection.send(text)

    def disconnect(self, reason: str = "refresh_requested", *, close_after: float | None = None) -> int:
        """Send `disconnect` on the newest connection; with `refresh_requested` (or a `close_after`), close
        it that many seconds later (`refresh_grace` by default). Returns the connection's number."""
        link = self._target()
        if reason != "warning":
            link.draining = True
        link.connection.send(json.dumps(disconnect_frame(reason, link.number)))
        delay = close_after
        if delay is None and reason != "warning":
            delay = self.refresh_grace
        if delay is not None:
            timer = threading.Timer(delay, link.connection.close)
            timer.daemon = True
            timer.start()
        return link.number

    def _deadline(self, envelope: Envelope) -> None:
        """Three seconds passed: an unacknowledged envelope expires; an Events API one is retried."""
        with self._lock:
            if envelope.acked_at is not None or not self.running:
                return
            envelope.expired = True
            retry = envelope.type == EVENTS_API and envelope.retry_attempt < MAX_RETRIES
            envelope.retried = retry
        if retry:
            try:
                self.send_envelope(
                    envelope.type,
                    envelope.payload,
                    retry_attempt=envelope.retry_attempt + 1,
                    retry_of=envelope.retry_of or envelope.envelope_id,
                )
            except NoSocketConnectionError:
                logger.debug("socket mode sandbox: no connection to retry %s on", envelope.envelope_id)

    def unacknowledged(self) -> list[Envelope]:
        with self._lock:
            return [e for e in self.envelopes if e.acked_at is None]


def _cut(sock: socket.socket) -> None:
    """Drop a TCP connection as a dying server would: no WebSocket close frame, reset on close."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def start_socket_mode_sandbox(
    workspace: SlackWorkspace,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ping_interval: float = 10.0,
    refresh_grace: float = 1.0,
) -> SocketModeServer:
    """A started stand-in for `workspace` (whose Web API must already be served)."""
    return SocketModeServer(
        workspace, host=host, port=port, ping_interval=ping_interval, refresh_grace=refresh_grace
    ).start()
