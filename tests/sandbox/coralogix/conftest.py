"""A running simulated IncidentsService and a real gRPC stub talking to it over a socket."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix, start_coralogix_sandbox

from .support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> SimulatedCoralogix:
    return SimulatedCoralogix(seed=7, clock=clock)


@pytest.fixture
def sandbox(sim: SimulatedCoralogix) -> Iterator[RunningCoralogixSandbox]:
    with start_coralogix_sandbox(sim) as running:
        yield running


@pytest.fixture
def stub(sandbox: RunningCoralogixSandbox) -> Iterator[incidents_service_pb2_grpc.IncidentsServiceStub]:
    with grpc.insecure_channel(sandbox.address) as channel:
        yield incidents_service_pb2_grpc.IncidentsServiceStub(channel)
