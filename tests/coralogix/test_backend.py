"""One interface over both clients (checked by mypy here), and `detect_api` against stand-ins that answer
Incidents only, Cases only, neither, or nothing at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures

import grpc
import pytest

from bot.coralogix.backend import CoralogixBackend, connect_backend, detect_api, make_backend
from bot.coralogix.cases_client import CasesClient
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.coralogix.pb import incidents_service_pb2_grpc
from bot.coralogix.pb.cases import cases_service_pb2_grpc
from bot.domain import EventKind, Status
from bot.sandbox.coralogix import (
    CasesServicer,
    IncidentsServicer,
    RunningCasesSandbox,
    RunningCoralogixSandbox,
    SimulatedCases,
    SimulatedCoralogix,
    start_no_api_sandbox,
)
from tests.coralogix.keys import TEAM_KEY, TEAM_USER


def both_are_backends(incidents: IncidentsClient, cases: CasesClient) -> list[CoralogixBackend]:
    """mypy fails here if either client stops matching `CoralogixBackend` (a method, a keyword, a type)."""
    return [incidents, cases]


def test_both_clients_are_backends(client: IncidentsClient, cases_client: CasesClient) -> None:
    backends = both_are_backends(client, cases_client)
    assert [backend.api for backend in backends] == ["incidents", "cases"]
    assert all(isinstance(backend, CoralogixBackend) for backend in backends)


def test_the_same_calls_work_on_either_backend(
    client: IncidentsClient, sim: SimulatedCoralogix, cases_client: CasesClient, cases_sim: SimulatedCases
) -> None:
    ids = {
        "incidents": sim.create_incident(name="disk full"),
        "cases": cases_sim.create_case(title="disk full"),
    }
    backend: CoralogixBackend
    for backend in (client, cases_client):
        incident_id = ids[backend.api]
        [acknowledged] = backend.acknowledge([incident_id], actor="alice@example.com")
        assert acknowledged.status is Status.ACKNOWLEDGED
        assert backend.get_incident(incident_id).name == "disk full"
        assert backend.list_incidents(page_size=1).incidents[0].id == incident_id
        event = backend.get_incident_events(incident_id)[-1]
        # Incidents ignores `actor` and credits the key's owner; Cases records the actor
        expected = TEAM_USER if backend.api == "incidents" else "alice@example.com"
        assert (event.kind, event.who) == (EventKind.ACKNOWLEDGE, expected)


def test_make_backend_picks_the_client(
    server: RunningCoralogixSandbox, cases_server: RunningCasesSandbox
) -> None:
    incidents = make_backend("incidents", open_channel(server.address, insecure=True), TEAM_KEY)
    cases = connect_backend("cases", cases_server.address, TEAM_KEY, insecure=True)
    try:
        assert isinstance(incidents, IncidentsClient) and isinstance(cases, CasesClient)
    finally:
        incidents.close_channel()
        cases.close_channel()
    with pytest.raises(ValueError, match="unknown Coralogix API"):
        make_backend("alerts", open_channel(server.address, insecure=True), TEAM_KEY)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- detect_api


@pytest.fixture
def channel_to() -> Iterator[Callable[[str], grpc.Channel]]:
    channels: list[grpc.Channel] = []

    def make(address: str) -> grpc.Channel:
        channels.append(open_channel(address, insecure=True))
        return channels[-1]

    yield make
    for channel in channels:
        channel.close()


def test_detects_incidents(
    server: RunningCoralogixSandbox, channel_to: Callable[[str], grpc.Channel]
) -> None:
    detection = detect_api(channel_to(server.address), TEAM_KEY)
    assert detection.api == "incidents"
    assert detection.reason.startswith("the account answers IncidentsService only")
    assert "CasesService: UNIMPLEMENTED" in detection.reason
    assert (detection.probes["incidents"].code, detection.probes["cases"].code) == ("OK", "UNIMPLEMENTED")


def test_detects_cases(
    cases_server: RunningCasesSandbox, cases_sim: SimulatedCases, channel_to: Callable[[str], grpc.Channel]
) -> None:
    cases_sim.create_case()
    detection = detect_api(channel_to(cases_server.address), TEAM_KEY)
    assert detection.api == "cases"
    assert detection.reason.startswith("the account answers CasesService only")
    assert detection.probes["cases"].has_data
    assert [call.rpc for call in cases_sim.calls] == ["ListCases"]  # one cheap read


def test_detects_neither(channel_to: Callable[[str], grpc.Channel]) -> None:
    with start_no_api_sandbox() as nothing:
        detection = detect_api(channel_to(nothing.address), TEAM_KEY)
    assert detection.api is None
    assert detection.reason.startswith("the account answers neither IncidentsService nor CasesService")
    assert "IncidentsService: UNIMPLEMENTED" in detection.reason
    assert "CasesService: UNIMPLEMENTED" in detection.reason
    assert "incidents:read (Incidents) or case:Read (Cases)" in detection.reason


def test_a_key_without_read_on_its_api_is_neither(
    cases_server: RunningCasesSandbox, cases_sim: SimulatedCases, channel_to: Callable[[str], grpc.Channel]
) -> None:
    cases_sim.add_api_key("cx-ack-only", "carol@example.com", ["case:Acknowledge"])
    detection = detect_api(channel_to(cases_server.address), "cx-ack-only")
    assert detection.api is None
    assert (
        "CasesService: PERMISSION_DENIED (The Coralogix API key lacks the case:Read permission)"
        in detection.reason
    )


@pytest.fixture
def both(sim: SimulatedCoralogix, cases_sim: SimulatedCases) -> Iterator[str]:
    """One server answering both APIs (an account in the middle of the move to Cases); its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    incidents_service_pb2_grpc.add_IncidentsServiceServicer_to_server(IncidentsServicer(sim), server)
    cases_service_pb2_grpc.add_CasesServiceServicer_to_server(CasesServicer(cases_sim), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0.5).wait()


def test_permission_denied_on_one_api_picks_the_other(
    both: str, sim: SimulatedCoralogix, cases_sim: SimulatedCases, channel_to: Callable[[str], grpc.Channel]
) -> None:
    cases_sim.add_api_key("cx-mixed", "carol@example.com", ["case:Acknowledge"])
    sim.add_api_key("cx-mixed", "carol@example.com")
    detection = detect_api(channel_to(both), "cx-mixed")
    assert detection.api == "incidents"
    assert "CasesService: PERMISSION_DENIED" in detection.reason
    sim.add_api_key("cx-mixed", "carol@example.com", ["incidents:acknowledge"])
    cases_sim.add_api_key("cx-mixed", "carol@example.com")
    assert detect_api(channel_to(both), "cx-mixed").api == "cases"


def test_both_answer(
    both: str, sim: SimulatedCoralogix, cases_sim: SimulatedCases, channel_to: Callable[[str], grpc.Channel]
) -> None:
    empty = detect_api(channel_to(both), TEAM_KEY)
    assert empty.api == "cases" and "neither holds anything" in empty.reason
    sim.create_incident()
    assert detect_api(channel_to(both), TEAM_KEY).api == "incidents"
    cases_sim.create_case()
    assert detect_api(channel_to(both), TEAM_KEY).reason.endswith("using Cases: it holds cases")


def test_cannot_tell_while_the_other_api_fails(
    both: str, cases_sim: SimulatedCases, channel_to: Callable[[str], grpc.Channel]
) -> None:
    cases_sim.faults.fail_next(grpc.StatusCode.INTERNAL, n=5, rpc="ListCases")
    detection = detect_api(channel_to(both), TEAM_KEY)
    assert detection.api is None
    assert detection.reason.startswith("cannot tell which API the account uses")


def test_unreachable_is_neither_and_says_so(
    unused_address: str, channel_to: Callable[[str], grpc.Channel]
) -> None:
    detection = detect_api(channel_to(unused_address), TEAM_KEY, timeout=1.0)
    assert detection.api is None
    assert detection.reason.startswith("Coralogix did not answer")


def test_a_rejected_key(server: RunningCoralogixSandbox, channel_to: Callable[[str], grpc.Channel]) -> None:
    detection = detect_api(channel_to(server.address), "cx-nobody")
    assert detection.api is None  # Incidents rejects the key, Cases is not served
    assert "IncidentsService: UNAUTHENTICATED" in detection.reason
