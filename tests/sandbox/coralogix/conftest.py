"""A running simulated IncidentsService (or CasesService) and real gRPC stubs talking to it over a socket."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.coralogix.pb.cases import case_events_service_pb2_grpc, cases_service_pb2_grpc
from bot.sandbox.coralogix import (
    RunningCasesSandbox,
    RunningCoralogixSandbox,
    SimulatedCases,
    SimulatedCoralogix,
    start_cases_sandbox,
    start_coralogix_sandbox,
)

from .support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> SimulatedCoralogix:
    return SimulatedCoralogix(seed=7, clock=clock, personal_key_rules=False)  # tested on its own


@pytest.fixture
def sandbox(sim: SimulatedCoralogix) -> Iterator[RunningCoralogixSandbox]:
    with start_coralogix_sandbox(sim) as running:
        yield running


@pytest.fixture
def stub(sandbox: RunningCoralogixSandbox) -> Iterator[incidents_service_pb2_grpc.IncidentsServiceStub]:
    with grpc.insecure_channel(sandbox.address) as channel:
        yield incidents_service_pb2_grpc.IncidentsServiceStub(channel)


@pytest.fixture
def cases_sim(clock: ManualClock) -> SimulatedCases:
    return SimulatedCases(seed=7, clock=clock)


@pytest.fixture
def cases_sandbox(cases_sim: SimulatedCases) -> Iterator[RunningCasesSandbox]:
    with start_cases_sandbox(cases_sim) as running:
        yield running


@pytest.fixture
def cases_channel(cases_sandbox: RunningCasesSandbox) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(cases_sandbox.address) as channel:
        yield channel


@pytest.fixture
def cases_stub(cases_channel: grpc.Channel) -> cases_service_pb2_grpc.CasesServiceStub:
    return cases_service_pb2_grpc.CasesServiceStub(cases_channel)


@pytest.fixture
def events_stub(cases_channel: grpc.Channel) -> case_events_service_pb2_grpc.CaseEventsServiceStub:
    return case_events_service_pb2_grpc.CaseEventsServiceStub(cases_channel)
