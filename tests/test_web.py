"""The HTTP server of `incident-bot run` (waitress) and the edge that turns any error into a logged 500."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from bot.errors import BotError
from bot.web import HttpBindError, HttpLimits, HttpServer, at_the_edge, build_wsgi_app
from tests.e2e.attacks import MIB, closed_by_server, push_body, stalled_connections
from tests.e2e.harness import wait_for

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment


def call(app: WSGIApplication, path: str = "/slack/events") -> tuple[str, bytes]:
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append(status)
        return None

    body = b"".join(app({"REQUEST_METHOD": "POST", "PATH_INFO": path}, start_response))
    return seen[-1], body


# ------------------------------------------------------------------------------------------------ edge


def raises_at_once(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("boom xoxb-secret")


def raises_after_starting(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [])
    raise RuntimeError("boom")


def raises_while_iterating(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [])

    def body() -> Iterator[bytes]:
        yield b"partial"
        raise RuntimeError("boom")

    return body()


def never_starts(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    return [b"no status"]


@pytest.mark.parametrize("app", [raises_at_once, raises_after_starting, raises_while_iterating, never_starts])
def test_any_error_inside_the_app_is_a_short_500_logged_through_logging(
    app: WSGIApplication, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.web"):
        status, body = call(at_the_edge(app))
    assert status == "500 Internal Server Error"
    assert body == b"internal error\n"
    records = [r for r in caplog.records if r.name == "bot.web"]
    assert len(records) == 1
    assert records[0].exc_info is not None, "the traceback goes to the log record, in the log's format"
    assert capsys.readouterr().err == ""


def test_wsgi_errors_goes_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    def writes(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.errors"].write("something odd\n")
        start_response("200 OK", [])
        return [b""]

    with caplog.at_level(logging.WARNING, logger="bot.web"):
        assert call(at_the_edge(writes))[0] == "200 OK"
    assert "wsgi.errors: something odd" in caplog.text


def test_the_bots_app_has_the_edge_in_front_of_bolt(caplog: pytest.LogCaptureFixture) -> None:
    app = build_wsgi_app(slack_handler=raises_at_once, readiness_problems=list, metrics=bytes)
    with caplog.at_level(logging.ERROR, logger="bot.web"):
        assert call(app) == ("500 Internal Server Error", b"internal error\n")
    assert "unhandled error serving POST /slack/events" in caplog.text


def test_the_routes_still_answer_behind_the_edge() -> None:
    app = build_wsgi_app(slack_handler=None, readiness_problems=lambda: [], metrics=lambda: b"m 1\n")
    assert call(app, "/slack/events")[0].startswith("405")  # no Slack handler in Socket Mode


# ---------------------------------------------------------------------------------------------- server


def ok_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def server() -> Iterator[HttpServer]:
    running = HttpServer(
        at_the_edge(ok_app), "127.0.0.1", 0, HttpLimits(threads=2, max_body=64 * 1024, client_timeout=1)
    )
    running.start()
    yield running
    running.stop()


def post(port: int, body: bytes) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/slack/events", body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_body_under_the_cap_is_served(server: HttpServer) -> None:
    assert post(server.port, b"x" * 1000) == (200, b"x" * 1000)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_cap_gets_413_before_it_is_all_sent(server: HttpServer, chunked: bool) -> None:
    pushed = push_body(server.port, 50 * MIB, chunked=chunked)
    # The server answers 413 and hangs up while the client is still sending; on a loaded machine the
    # client's kernel may see the reset before the client read the answer (status 0). Either way the
    # upload was cut short: the promise is that the body is refused before it is all read.
    assert pushed.status in (413, 0)
    assert pushed.sent < 50 * MIB


def test_a_stalled_client_is_dropped_after_the_client_timeout(server: HttpServer) -> None:
    with stalled_connections(server.port, 3) as sockets:
        wait_for(lambda: all(closed_by_server(s) for s in sockets), 15, "the server to drop stalled clients")
    assert post(server.port, b"after") == (200, b"after")


def test_stalled_clients_hold_no_worker(server: HttpServer) -> None:
    """Two workers, ten stalled clients: a whole request still gets served."""
    with stalled_connections(server.port, 10):
        assert post(server.port, b"through") == (200, b"through")


def test_a_taken_port_is_a_bot_error_that_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HttpBindError) as caught:
            HttpServer(at_the_edge(ok_app), "127.0.0.1", port)
    assert isinstance(caught.value, BotError)
    assert f"cannot listen on 127.0.0.1:{port}" in str(caught.value)
    assert "in use" in str(caught.value)


def test_stop_closes_open_connections_and_the_port() -> None:
    running = HttpServer(at_the_edge(ok_app), "127.0.0.1", 0, HttpLimits(threads=2))
    running.start()
    port = running.port
    with stalled_connections(port, 2) as sockets:
        wait_for(lambda: post(port, b"x")[0] == 200, 5, "the server to serve")
        stopper = threading.Thread(target=running.stop)
        stopper.start()
        stopper.join(10)
        assert not stopper.is_alive()
        assert all(closed_by_server(s) for s in sockets)
    with pytest.raises(ConnectionRefusedError):
        post(port, b"x")


def test_stop_refuses_new_connections_at_once_but_answers_the_request_in_hand() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        entered.set()
        release.wait(10)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    running = HttpServer(at_the_edge(slow), "127.0.0.1", 0, HttpLimits(threads=2))
    running.start()
    port = running.port
    answers: list[tuple[int, bytes]] = []
    client = threading.Thread(target=lambda: answers.append(post(port, b"x")))
    client.start()
    assert entered.wait(5)
    stopper = threading.Thread(target=running.stop)
    stopper.start()

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except (ConnectionRefusedError, ConnectionResetError):  # reset: closed during the handshake
            return True
        return False

    wait_for(refused, 5, "the listening socket to close")
    release.set()
    client.join(10)
    stopper.join(10)
    assert answers == [(200, b"done")]
    assert not stopper.is_alive()


# ----------------------------------------------------------------------------- nothing raw on stderr


def test_grpc_core_verbosity_defaults_to_error_before_grpc_is_imported() -> None:
    code = (
        "import os, sys\n"
        "os.environ.pop('GRPC_VERBOSITY', None)\n"
        "import bot.cli\n"
        "assert 'grpc' not in sys.modules\n"
        "try:\n"
        "    bot.cli.main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ['GRPC_VERBOSITY'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "ERROR"


def test_an_operators_grpc_verbosity_is_kept() -> None:
    from bot.cli import quiet_grpc_core

    environ = {"GRPC_VERBOSITY": "DEBUG"}
    quiet_grpc_core(environ)
    assert environ == {"GRPC_VERBOSITY": "DEBUG"}


def test_uncaught_exceptions_anywhere_are_json_log_lines() -> None:
    code = (
        "import threading\n"
        "from bot.logs import configure_logging, route_uncaught_exceptions\n"
        "configure_logging('json', ['hunter2-secret'])\n"
        "route_uncaught_exceptions()\n"
        "import logging\n"
        "logging.getLogger('waitress').error('from waitress hunter2-secret')\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='worker')\n"
        "t.start(); t.join()\n"
        "class Odd:\n"
        "    def __del__(self):\n"
        "        raise ValueError('in del')\n"
        "Odd()\n"
        "raise RuntimeError('main hunter2-secret')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    entries = [json.loads(line) for line in lines]
    messages = [e["message"] for e in entries]
    assert "from waitress [redacted]" in messages
    assert "uncaught exception in thread worker" in messages
    assert any(m.startswith("exception ignored in") for m in messages)
    assert "uncaught exception" in messages
    assert "hunter2-secret" not in done.stderr
    assert "ZeroDivisionError" in entries[1]["exception"]
