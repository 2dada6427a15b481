"""Every rpc needs a known bearer key, and each action needs its permission."""

from __future__ import annotations

import grpc
import pytest

from bot.coralogix.pb import assignee_pb2, incident_status_pb2
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix

from .support import READONLY, TEAM, sv, svs


def test_missing_metadata_is_unauthenticated(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    with pytest.raises(grpc.RpcError) as err:
        stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "invalid API key" in err.value.details()
    call = sim.calls[-1]
    assert (call.rpc, call.api_key, call.user_id, call.code) == ("GetIncident", None, None, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "metadata",
    [
        (("authorization", "Bearer cx-nobody-key"),),
        (("authorization", "cx-team-key"),),  # not a bearer token
        (("authorization", "Bearer "),),
        (("x-api-key", "cx-team-key"),),
    ],
)
def test_unknown_or_malformed_key_is_unauthenticated(sim: SimulatedCoralogix, stub, metadata) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.ListIncidents(pb.ListIncidentsRequest(), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert sim.calls_to("ListIncidents")[-1].code == "UNAUTHENTICATED"


def test_bearer_scheme_is_case_insensitive(sim: SimulatedCoralogix, stub) -> None:
    response = stub.ListIncidents(
        pb.ListIncidentsRequest(), metadata=(("authorization", "bearer cx-team-key"),)
    )
    assert response.pagination.total_size.value == 0
    assert sim.calls[-1].user_id == "oncall-bot@example.com"


def test_readonly_key_reads(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="disk full")
    got = stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=READONLY)
    assert got.incident.name.value == "disk full"
    listed = stub.ListIncidents(pb.ListIncidentsRequest(), metadata=READONLY)
    assert [i.id.value for i in listed.incidents] == [incident_id]


@pytest.mark.parametrize(
    ("rpc", "request_message", "permission"),
    [
        ("AcknowledgeIncidents", pb.AcknowledgeIncidentsRequest, "incidents:acknowledge"),
        ("ResolveIncidents", pb.ResolveIncidentsRequest, "incidents:close"),
        ("CloseIncidents", pb.CloseIncidentsRequest, "incidents:close"),
        ("UnassignIncidents", pb.UnassignIncidentsRequest, "incidents:assign"),
    ],
)
def test_readonly_key_cannot_act(sim: SimulatedCoralogix, stub, rpc, request_message, permission) -> None:
    incident_id = sim.create_incident(name="x")
    before = sim.incident(incident_id)
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message(incident_ids=svs(incident_id)), metadata=READONLY)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert permission in err.value.details()
    assert sim.incident(incident_id) == before
    call = sim.calls_to(rpc)[-1]
    assert (call.api_key, call.user_id, call.code) == (
        "cx-readonly-key",
        "viewer@example.com",
        "PERMISSION_DENIED",
    )


def test_readonly_key_cannot_assign(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    request = pb.AssignIncidentsRequest(
        incident_ids=svs(incident_id), assigned_to=assignee_pb2.UserDetails(user_id=sv("bob@example.com"))
    )
    with pytest.raises(grpc.RpcError) as err:
        stub.AssignIncidents(request, metadata=READONLY)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "incidents:assign" in err.value.details()


def test_added_key_with_some_permissions(sim: SimulatedCoralogix, stub) -> None:
    sim.add_api_key("cx-ack-only", "carol@example.com", ["incidents:read", "incidents:acknowledge"])
    carol = (("authorization", "Bearer cx-ack-only"),)
    incident_id = sim.create_incident(name="x")
    acked = stub.AcknowledgeIncidents(
        pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=carol
    )
    assert acked.incidents[0].status == incident_status_pb2.INCIDENT_STATUS_ACKNOWLEDGED
    with pytest.raises(grpc.RpcError) as err:
        stub.CloseIncidents(pb.CloseIncidentsRequest(incident_ids=svs(incident_id)), metadata=carol)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "incidents:close" in err.value.details()


def test_unknown_permission_is_refused(sim: SimulatedCoralogix) -> None:
    with pytest.raises(ValueError, match="incidents:delete"):
        sim.add_api_key("k", "u@example.com", ["incidents:delete"])


def test_every_call_is_recorded_with_its_request(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=TEAM)
    with pytest.raises(grpc.RpcError):
        stub.GetIncident(pb.GetIncidentRequest(id=sv("nope")), metadata=TEAM)
    calls = sim.calls_to("GetIncident")
    assert [c.code for c in calls] == ["OK", "NOT_FOUND"]
    assert calls[0].request.id.value == incident_id
    assert calls[1].details == "incident nope not found"
