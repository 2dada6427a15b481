"""The client against the simulated IncidentsService over a real socket, fresh for every test."""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.coralogix.cases_client import CasesClient
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import (
    RunningCasesSandbox,
    RunningCoralogixSandbox,
    SimulatedCases,
    SimulatedCoralogix,
    start_cases_sandbox,
    start_coralogix_sandbox,
)
from tests.coralogix.keys import TEAM_KEY


@pytest.fixture
def sim() -> SimulatedCoralogix:
    return SimulatedCoralogix(seed=1, personal_key_rules=False)  # the rule has tests of its own


@pytest.fixture
def server(sim: SimulatedCoralogix) -> Iterator[RunningCoralogixSandbox]:
    running = start_coralogix_sandbox(sim)
    yield running
    running.stop()


@pytest.fixture
def observed() -> list[tuple[str, str, float]]:
    """(rpc, code, seconds) of every attempt the client made."""
    return []


@pytest.fixture
def make_client(
    server: RunningCoralogixSandbox, observed: list[tuple[str, str, float]]
) -> Iterator[Callable[..., IncidentsClient]]:
    clients: list[IncidentsClient] = []

    def make(api_key: str = TEAM_KEY, **options: Any) -> IncidentsClient:
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
def client(make_client: Callable[..., IncidentsClient]) -> IncidentsClient:
    return make_client()


@pytest.fixture
def unused_address() -> str:
    """An address nothing listens on: a port the OS gave us, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


# ------------------------------------------------------------------------------------------ Cases


@pytest.fixture
def cases_sim() -> SimulatedCases:
    return SimulatedCases(seed=3)


@pytest.fixture
def cases_server(cases_sim: SimulatedCases) -> Iterator[RunningCasesSandbox]:
    running = start_cases_sandbox(cases_sim)
    yield running
    running.stop()


@pytest.fixture
def make_cases_client(
    cases_server: RunningCasesSandbox, observed: list[tuple[str, str, float]]
) -> Iterator[Callable[..., CasesClient]]:
    clients: list[CasesClient] = []

    def make(api_key: str = TEAM_KEY, **options: Any) -> CasesClient:
        options = {"timeout": 5.0, "backoff_base": 0.01, "backoff_max": 0.05, **options}
        client = CasesClient(
            open_channel(cases_server.address, insecure=True),
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
def cases_client(make_cases_client: Callable[..., CasesClient]) -> CasesClient:
    return make_cases_client()
