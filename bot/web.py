"""The HTTP side of HTTP mode: Slack's request URL plus health and metrics, on one threaded WSGI server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 holds a burst of clicks back by a second


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


def _plain(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def build_wsgi_app(
    *,
    slack_handler: WSGIApplication | None,
    readiness_problems: Callable[[], list[str]],
    metrics: Callable[[], bytes],
) -> WSGIApplication:
    """Route `/slack/events` to Bolt and serve `/healthz`, `/readyz` and `/metrics`."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_EVENTS_PATH and slack_handler is not None:
            return slack_handler(environ, start_response)
        if method != "GET":
            return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok\n")
        if path == "/readyz":
            problems = readiness_problems()
            if problems:
                return _plain(start_response, "503 Service Unavailable", "\n".join(problems) + "\n")
            return _plain(start_response, "200 OK", "ready\n")
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

    return app


class HttpServer:
    """A WSGI app served on a background thread until `stop()`."""

    def __init__(self, app: WSGIApplication, host: str, port: int) -> None:
        self._server = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), name="http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
