"""The demo page answers only requests addressed to it, from it: foreign `Host` or `Origin` gets 403."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from bot.demo.client import SimulatedSlackClient
from bot.demo.coralogix_side import IncidentFeed
from bot.demo.page_server import DemoPageServer, foreign_header, own_addresses
from bot.sandbox.coralogix import SimulatedCoralogix


@pytest.fixture
def page(client: SimulatedSlackClient) -> Iterator[DemoPageServer]:
    sim = SimulatedCoralogix(seed=3)
    sim.generate(2, lifecycle=True)
    server = DemoPageServer(client, IncidentFeed(sim, seed=3), port=0)
    server.start()
    yield server
    server.stop()


def _request(
    page: DemoPageServer, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", page.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if response.getheader("Content-Type", "").startswith(
            "application/json"
        ) else {}
    finally:
        connection.close()


def test_own_addresses_are_answered(page: DemoPageServer) -> None:
    for host in (f"127.0.0.1:{page.port}", f"localhost:{page.port}", f"LOCALHOST:{page.port}"):
        assert _request(page, "GET", "/", {"Host": host})[0] == 200, host
        status, _ = _request(
            page, "GET", "/api/state?user=U0ALICE", {"Host": host, "Origin": f"http://{host}"}
        )
        assert status == 200, host


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "evil.example:{port}"},
        {"Host": "127.0.0.1:1"},
        {},
        {"Host": "127.0.0.1:{port}", "Origin": "https://evil.example"},
        {"Host": "127.0.0.1:{port}", "Origin": "http://127.0.0.1:1"},
        {"Host": "127.0.0.1:{port}", "Origin": "null"},
        {"Host": "127.0.0.1:{port}", "Origin": "https://127.0.0.1:{port}"},
    ],
)
def test_foreign_host_or_origin_is_refused(page: DemoPageServer, headers: dict[str, str]) -> None:
    filled = {name: value.replace("{port}", str(page.port)) for name, value in headers.items()}
    for method, path, body in (
        ("GET", "/", None),
        ("GET", "/api/state?user=U0ALICE", None),
        ("POST", "/api/incidents", b"{}"),
        ("POST", "/api/command", json.dumps({"user": "U0ALICE", "channel": "C0X", "text": "help"}).encode()),
    ):
        status, answer = _request(page, method, path, filled, body)
        assert status == 403, (method, path, filled)
        assert answer["ok"] is False and "does not answer" in str(answer["error"])
    assert page_incidents(page) == 2  # the refused POST created nothing


def page_incidents(page: DemoPageServer) -> int:
    status, state = _request(page, "GET", "/api/state?user=U0ALICE", {"Host": f"127.0.0.1:{page.port}"})
    assert status == 200
    coralogix = state["coralogix"]
    assert isinstance(coralogix, dict)
    return sum(coralogix["summary"].values())


def test_the_given_host_is_allowed_and_a_wildcard_allows_this_machine() -> None:
    assert "mybox.lan:8080" in own_addresses("mybox.lan", 8080)
    assert "localhost:8080" in own_addresses("mybox.lan", 8080)
    assert "[fd00::1]:8080" in own_addresses("fd00::1", 8080)
    wildcard = own_addresses("0.0.0.0", 8080)
    assert "127.0.0.1:8080" in wildcard and "0.0.0.0:8080" not in wildcard
    assert not any(name.startswith(":") for name in wildcard)


def test_default_ports_compare_equal() -> None:
    allowed = own_addresses("demo.example", 80)
    assert foreign_header(_headers({"Host": "demo.example"}), allowed) is None
    assert (
        foreign_header(_headers({"Host": "demo.example", "Origin": "http://demo.example"}), allowed) is None
    )
    assert foreign_header(_headers({"Host": "demo.example:81"}), allowed) == "Host"


def _headers(values: dict[str, str]) -> http.client.HTTPMessage:
    message = http.client.HTTPMessage()
    for name, value in values.items():
        message[name] = value
    return message
