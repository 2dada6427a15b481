"""`incident-bot demo --host`: the page can be opened from other machines, with a warning saying so."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator

import pytest

from bot.cli import build_parser
from bot.demo.client import SimulatedSlackClient
from bot.demo.command import host_warning, is_loopback
from bot.demo.coralogix_side import IncidentFeed
from bot.demo.page_server import DemoPageServer
from bot.sandbox.coralogix import SimulatedCoralogix


def test_the_option_defaults_to_this_machine_only() -> None:
    assert build_parser().parse_args(["demo"]).host == "127.0.0.1"
    assert build_parser().parse_args(["demo", "--host", "0.0.0.0"]).host == "0.0.0.0"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_needs_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert host_warning(host, 8080) is None


def test_other_addresses_are_warned_about() -> None:
    warning = host_warning("192.168.1.20", 8080)
    assert warning is not None
    assert "http://192.168.1.20:8080/" in warning and "no login" in warning
    everywhere = host_warning("0.0.0.0", 8080)
    assert everywhere is not None and f"http://{socket.gethostname()}:8080/" in everywhere


@pytest.fixture
def open_page(client: SimulatedSlackClient) -> Iterator[DemoPageServer]:
    sim = SimulatedCoralogix(seed=2)
    server = DemoPageServer(client, IncidentFeed(sim, seed=2), host="0.0.0.0", port=0)
    server.start()
    yield server
    server.stop()


def _status(page: DemoPageServer, host_header: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", page.port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": host_header})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_page_on_every_interface_answers_to_this_machines_name(open_page: DemoPageServer) -> None:
    port = open_page.port
    assert _status(open_page, f"{socket.gethostname()}:{port}") == 200
    assert _status(open_page, f"127.0.0.1:{port}") == 200
    assert _status(open_page, f"attacker.example:{port}") == 403
