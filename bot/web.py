"""The HTTP side of HTTP mode: Slack's request URL plus health and metrics, served by waitress.

waitress (pure Python, maintained, no C extension, runs inside this process on a background thread) reads
every connection on one event loop and hands only complete requests to a fixed pool of worker threads:
a stalled or slow client holds a socket, never a thread, and is dropped after `client_timeout`. A body
over `max_body` is refused with 413 from its Content-Length (or, chunked, once it passes the cap) before
it is read.
"""

from __future__ import annotations

import hmac
import logging
import resource
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from waitress.server import BaseWSGIServer, create_server

from bot.errors import BotError

if TYPE_CHECKING:
    from types import TracebackType
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KiB; a big modal's state stays far below this


@dataclass(frozen=True)
class HttpLimits:
    """What one client may hold of the server: body and header size, idle time, connections."""

    threads: int = 16  # listeners acknowledge at once and hand the work to their own pool
    max_body: int = MAX_BODY_BYTES
    max_header: int = 32 * 1024
    client_timeout: int = 10  # seconds a connection may stay silent (mid-request or idle keep-alive)
    connection_limit: int = 1000  # open sockets; past it waitress stops accepting until some close
    backlog: int = 1024
    buffered_in_memory: int = 64 * 1024  # of a body still arriving; beyond, waitress spools to a file


class HttpBindError(BotError):
    """The HTTP port could not be opened (in use, or not allowed)."""


class _LogStream:
    """`wsgi.errors` for the apps: whatever they write goes through logging, not raw to stderr."""

    def write(self, text: str) -> int:
        if text.strip():
            log.warning("wsgi.errors: %s", text.rstrip())
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        return None


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def at_the_edge(app: WSGIApplication) -> WSGIApplication:
    """Any exception inside `app` is logged (through logging, redacted) and answered with a short 500;
    the server's own error page and its traceback on stderr are never reached."""

    def edge(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.errors"] = _LogStream()
        started: list[tuple[str, list[tuple[str, str]]]] = []
        written: list[bytes] = []

        def deferred(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: tuple[type[BaseException], BaseException, TracebackType]
            | tuple[None, None, None]
            | None = None,
        ) -> Callable[[bytes], object]:
            started[:] = [(status, list(headers))]
            return written.append

        try:
            chunks = app(environ, deferred)
            try:
                written.extend(chunks)
            finally:
                close: Callable[[], object] | None = getattr(chunks, "close", None)
                if close is not None:
                    close()
            if not started:
                raise RuntimeError("the application returned without starting a response")
        except Exception:
            log.exception(
                "unhandled error serving %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            return _plain(start_response, "500 Internal Server Error", "internal error\n")
        status, headers = started[0]
        start_response(status, headers)
        return written

    return edge


WEBHOOK_PATH = "/coralogix/webhook"


class CoralogixWebhook:
    """`POST /coralogix/webhook` with `Authorization: Bearer <BOT_WEBHOOK_SECRET>`: 202 and a poll now."""

    def __init__(self, secret: str, on_hint: Callable[[], None]) -> None:
        self._expected = f"Bearer {secret}".encode()
        self._on_hint = on_hint

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        given = str(environ.get("HTTP_AUTHORIZATION", "")).encode()
        if not hmac.compare_digest(given, self._expected):
            return _plain(start_response, "401 Unauthorized", "wrong or missing webhook secret\n")
        # the body is a hint only and is not read: the poll asks Coralogix itself
        try:
            self._on_hint()
        except Exception:
            log.exception("the webhook's poll request failed")
            return _plain(start_response, "503 Service Unavailable", "could not request a poll\n")
        return _plain(start_response, "202 Accepted", "poll requested\n")


def build_wsgi_app(
    *,
    slack_handler: WSGIApplication | None,
    readiness_problems: Callable[[], list[str]],
    metrics: Callable[[], bytes],
    readiness_notes: Callable[[], list[str]] = list,
    webhook: CoralogixWebhook | None = None,
) -> WSGIApplication:
    """Route `/slack/events` to Bolt and serve `/healthz`, `/readyz` and `/metrics`.

    `readiness_notes` are shown by `/readyz` without failing it (e.g. a channel the bot cannot post to:
    restarting the pod would not fix that).
    """

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_EVENTS_PATH and slack_handler is not None:
            return slack_handler(environ, start_response)
        if path == WEBHOOK_PATH:
            if webhook is None:
                return _plain(start_response, "404 Not Found", "not found\n")
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            return webhook(environ, start_response)
        if method != "GET":
            return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok\n")
        if path == "/readyz":
            problems = readiness_problems()
            if problems:
                return _plain(start_response, "503 Service Unavailable", "\n".join(problems) + "\n")
            notes = readiness_notes()
            return _plain(start_response, "200 OK", "ready\n" + "".join(f"note: {n}\n" for n in notes))
        if path == "/metrics":
            data = metrics()
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                    ("Content-Length", str(len(data))),
                ],
            )
            return [data]
        return _plain(start_response, "404 Not Found", "not found\n")

    return at_the_edge(app)


def _connection_limit(wanted: int) -> int:
    """`wanted`, or fewer if the process may not open that many files (leaving room for the rest)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(64, min(wanted, soft - 128))


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=backlog)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        hint = " (another process, perhaps another incident-bot, listens there)" if port else ""
        raise HttpBindError(
            f"cannot listen on {host}:{port} (BOT_HTTP_HOST/BOT_HTTP_PORT): {reason}{hint}"
        ) from exc


class HttpServer:
    """A WSGI app served by waitress on a background thread until `stop()`."""

    def __init__(self, app: WSGIApplication, host: str, port: int, limits: HttpLimits | None = None) -> None:
        limits = limits or HttpLimits()
        sock = _listen(host, port, limits.backlog)
        server: Any = create_server(
            app,
            sockets=[sock],
            threads=limits.threads,
            max_request_body_size=limits.max_body,
            max_request_header_size=limits.max_header,
            inbuf_overflow=limits.buffered_in_memory,
            channel_timeout=limits.client_timeout,
            cleanup_interval=max(1, limits.client_timeout // 5),
            connection_limit=_connection_limit(limits.connection_limit),
            backlog=limits.backlog,
            asyncore_use_poll=True,  # select() fails past 1024 descriptors
            log_socket_errors=False,  # a client that hangs up is not the server's error
            expose_tracebacks=False,
            ident="incident-bot",
        )
        self._server: BaseWSGIServer = server
        self._port = int(sock.getsockname()[1])
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self._port

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace: float = 5.0) -> None:
        """Stop accepting at once; let the requests in hand finish and their answers go out (up to
        `grace` seconds); then close every connection left (idle or stalled) and the workers."""
        from waitress import wasyncore

        server = self._server
        if not self._thread.is_alive():
            wasyncore.close_all(server._map)
            server.task_dispatcher.shutdown(timeout=grace)
            return
        closed = threading.Event()

        def stop_accepting() -> None:
            server.accepting = False
            wasyncore.dispatcher.close(server)  # the listening socket only; the loop goes on
            closed.set()

        server.trigger.pull_trigger(stop_accepting)  # thunks run on the loop's thread
        closed.wait(grace)
        deadline = time.monotonic() + grace
        while _answering(server._map) and time.monotonic() < deadline:
            time.sleep(0.01)
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # the loop then ends
        self._thread.join(timeout=grace)
        server.task_dispatcher.shutdown(timeout=grace)


def _answering(channels: dict[int, Any]) -> bool:
    """Whether a connection still has a request in hand or an answer not yet sent."""
    return any(
        getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
        for channel in list(channels.values())
    )
