"""The real IncidentsService's key rule, as an option of the simulator: acknowledging and assigning need a
personal (user-owned) key; a team key may still read, resolve, close and unassign."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.coralogix.pb import assignee_pb2, incidents_service_pb2_grpc
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.domain import Status
from bot.errors import CoralogixPermissionError
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix

from .support import ALICE, TEAM, sv, svs

Stub = incidents_service_pb2_grpc.IncidentsServiceStub


def _assign(incident_id: str) -> pb.AssignIncidentsRequest:
    return pb.AssignIncidentsRequest(
        incident_ids=svs(incident_id), assigned_to=assignee_pb2.UserDetails(user_id=sv("bob@example.com"))
    )


def test_on_by_default_as_on_the_real_service() -> None:
    assert SimulatedCoralogix().personal_key_rules is True


def test_can_be_turned_off(sim: SimulatedCoralogix, stub: Stub) -> None:
    sim.personal_key_rules = False
    incident_id = sim.create_incident()
    stub.AcknowledgeIncidents(pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM)
    stub.AssignIncidents(_assign(incident_id), metadata=TEAM)
    assert [call.code for call in sim.calls] == ["OK", "OK"]


def test_team_key_may_not_acknowledge_or_assign(sim: SimulatedCoralogix, stub: Stub) -> None:
    sim.personal_key_rules = True
    incident_id = sim.create_incident()
    with pytest.raises(grpc.RpcError) as ack:
        stub.AcknowledgeIncidents(
            pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM
        )
    assert ack.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert ack.value.details() == (
        "permission denied: acknowledging incidents needs a personal API key; "
        "the key of oncall-bot@example.com is a team key"
    )
    with pytest.raises(grpc.RpcError) as assign:
        stub.AssignIncidents(_assign(incident_id), metadata=TEAM)
    assert assign.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "assigning incidents needs a personal API key" in assign.value.details()
    assert sim.incident(incident_id).status == 1  # still TRIGGERED
    assert not sim.incident(incident_id).assignments

    # a personal key may
    stub.AcknowledgeIncidents(pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=ALICE)
    stub.AssignIncidents(_assign(incident_id), metadata=ALICE)
    # and the team key still reads, unassigns, resolves and closes
    stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=TEAM)
    stub.UnassignIncidents(pb.UnassignIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM)
    stub.ResolveIncidents(pb.ResolveIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM)
    stub.CloseIncidents(pb.CloseIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM)
    assert [(call.rpc, call.code) for call in sim.calls] == [
        ("AcknowledgeIncidents", "PERMISSION_DENIED"),
        ("AssignIncidents", "PERMISSION_DENIED"),
        ("AcknowledgeIncidents", "OK"),
        ("AssignIncidents", "OK"),
        ("GetIncident", "OK"),
        ("UnassignIncidents", "OK"),
        ("ResolveIncidents", "OK"),
        ("CloseIncidents", "OK"),
    ]


def test_a_team_key_added_later(sim: SimulatedCoralogix, stub: Stub) -> None:
    sim.personal_key_rules = True
    sim.add_api_key("cx-service", "svc@example.com", personal=False)
    incident_id = sim.create_incident()
    with pytest.raises(grpc.RpcError) as err:
        stub.AcknowledgeIncidents(
            pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)),
            metadata=(("authorization", "Bearer cx-service"),),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture
def client(sandbox: RunningCoralogixSandbox) -> Iterator[IncidentsClient]:
    with IncidentsClient(open_channel(sandbox.address, insecure=True), "cx-team-key", timeout=5) as client:
        yield client


def test_the_client_sees_a_permission_error(sim: SimulatedCoralogix, client: IncidentsClient) -> None:
    sim.personal_key_rules = True
    incident_id = sim.create_incident()
    with pytest.raises(CoralogixPermissionError) as err:
        client.acknowledge([incident_id], actor="alice@example.com")
    assert err.value.permission == "incidents:acknowledge"
    assert client.acknowledge([incident_id], api_key="cx-alice-key")[0].status is Status.ACKNOWLEDGED
    assert client.close([incident_id])[0].is_closed
