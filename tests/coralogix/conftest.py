"""The client against the simulated IncidentsService over a real socket, fresh for every test."""

import socket

import pytest

from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox
from tests.coralogix.keys import TEAM_KEY


@pytest.fixture
def sim():
    return SimulatedCoralogix(seed=1)


@pytest.fixture
def server(sim):
    running = start_coralogix_sandbox(sim)
    yield running
    running.stop()


@pytest.fixture
def observed():
    """(rpc, code, seconds) of every attempt the client made."""
    return []


@pytest.fixture
def make_client(server, observed):
    clients = []

    def make(api_key=TEAM_KEY, **options):
        options = {"timeout": 5.0, "backoff_base": 0.01, "backoff_max": 0.05, **options}
        client = IncidentsClient(
            open_channel(server.address, insecure=True),
            api_key,
            observer=lambda rpc, code, seconds: observed.append((rpc, code, seconds)),
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close_channel()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def unused_address():
    """An address nothing listens on: a port the OS gave us, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"
