"""Acknowledge, assign, resolve, close over gRPC and from outside, with the history each change leaves."""

from __future__ import annotations

import grpc
import pytest

from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
    incident_state_pb2,
    incident_status_pb2,
    upsert_incident_state_pb2,
)
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import InvalidTransition, SimulatedCoralogix

from .support import ALICE, BOB, TEAM, ManualClock, sv, svs

EV = incident_event_pb2
TRIGGERED = incident_status_pb2.INCIDENT_STATUS_TRIGGERED
ACKNOWLEDGED = incident_status_pb2.INCIDENT_STATUS_ACKNOWLEDGED
RESOLVED = incident_status_pb2.INCIDENT_STATUS_RESOLVED


def _events(stub, incident_id: str) -> list[incident_event_pb2.IncidentEvent]:
    request = pb.GetIncidentEventsRequest(incident_id=sv(incident_id))
    return list(stub.GetIncidentEvents(request, metadata=TEAM).incident_events)


def _assign(stub, ids: list[str], to: str, metadata=ALICE) -> pb.AssignIncidentsResponse:
    request = pb.AssignIncidentsRequest(
        incident_ids=svs(*ids), assigned_to=assignee_pb2.UserDetails(user_id=sv(to))
    )
    return stub.AssignIncidents(request, metadata=metadata)


def _stamp(incident: incident_pb2.Incident) -> tuple[int, int]:
    return (incident.last_state_update_time.seconds, incident.last_state_update_time.nanos)


def test_full_lifecycle_over_grpc(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="kafka consumer lag")
    ids = svs(incident_id)
    seen = [sim.incident(incident_id)]

    acked = stub.AcknowledgeIncidents(pb.AcknowledgeIncidentsRequest(incident_ids=ids), metadata=ALICE)
    assert acked.incidents[0].status == ACKNOWLEDGED
    seen.append(acked.incidents[0])

    assigned = _assign(stub, [incident_id], "bob@example.com")
    [assignment] = assigned.incidents[0].assignments
    assert assignment.assigned_to.user_id.value == "bob@example.com"
    assert assignment.assigned_by.user_id.value == "alice@example.com"
    seen.append(assigned.incidents[0])

    unassigned = stub.UnassignIncidents(pb.UnassignIncidentsRequest(incident_ids=ids), metadata=BOB)
    assert list(unassigned.incidents[0].assignments) == []
    seen.append(unassigned.incidents[0])

    resolved = stub.ResolveIncidents(pb.ResolveIncidentsRequest(incident_ids=ids), metadata=BOB)
    assert resolved.incidents[0].status == RESOLVED
    assert not resolved.incidents[0].HasField("closed_at")
    seen.append(resolved.incidents[0])

    closed = stub.CloseIncidents(pb.CloseIncidentsRequest(incident_ids=ids), metadata=ALICE)
    incident = closed.incidents[0]
    assert incident.HasField("closed_at")
    assert incident.status == RESOLVED
    assert incident.state == incident_state_pb2.INCIDENT_STATE_RESOLVED
    seen.append(incident)

    # every change: a later last_state_update_time (the clock never moved) and a new key
    stamps = [_stamp(i) for i in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert len({i.last_state_update_key.value for i in seen}) == len(seen)
    assert stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=TEAM).incident == incident

    events = _events(stub, incident_id)
    assert [e.incident_event_type for e in events] == [
        EV.INCIDENT_EVENT_TYPE_OPEN,
        EV.INCIDENT_EVENT_TYPE_ACKNOWLEDGE,
        EV.INCIDENT_EVENT_TYPE_ASSIGN,
        EV.INCIDENT_EVENT_TYPE_UNASSIGN,
        EV.INCIDENT_EVENT_TYPE_UPSERT_STATE,
        EV.INCIDENT_EVENT_TYPE_CLOSE,
    ]
    actors = [e.administrative_event.user_id.value for e in events[1:]]
    assert actors == [
        "alice@example.com",
        "alice@example.com",
        "bob@example.com",
        "bob@example.com",
        "alice@example.com",
    ]
    assert all(e.originator_type == EV.ORIGINATOR_TYPE_ADMINISTRATIVE for e in events[1:])
    assert events[1].acknowledge.acknowledged_by.user_id.value == "alice@example.com"
    assert events[2].assignment.assignment.assigned_to.user_id.value == "bob@example.com"
    assert events[2].assignment.assignment.assigned_by.user_id.value == "alice@example.com"
    assert events[3].WhichOneof("incident_event_payload") == "unassign"
    assert events[4].upsert_state.state_type == upsert_incident_state_pb2.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
    assert events[5].close.closed_by.user_id.value == "alice@example.com"
    assert len({e.id.value for e in events}) == len(events)
    assert sim.calls_to("CloseIncidents")[-1].user_id == "alice@example.com"


def test_team_key_actions_are_attributed_to_its_owner(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    stub.AcknowledgeIncidents(pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=TEAM)
    assert _events(stub, incident_id)[-1].administrative_event.user_id.value == "oncall-bot@example.com"


def test_bulk_action_changes_every_incident(sim: SimulatedCoralogix, stub) -> None:
    ids = [sim.create_incident(name=f"n{i}") for i in range(3)]
    response = stub.AcknowledgeIncidents(pb.AcknowledgeIncidentsRequest(incident_ids=svs(*ids)), metadata=BOB)
    assert [i.id.value for i in response.incidents] == ids
    assert all(sim.incident(i).status == ACKNOWLEDGED for i in ids)


def test_unknown_id_changes_nothing(sim: SimulatedCoralogix, stub) -> None:
    known = sim.create_incident(name="x")
    before = sim.incident(known)
    with pytest.raises(grpc.RpcError) as err:
        stub.AcknowledgeIncidents(
            pb.AcknowledgeIncidentsRequest(incident_ids=svs(known, "ghost-1", "ghost-2")), metadata=ALICE
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.details() == "incident ghost-1 not found"
    assert sim.incident(known) == before
    assert len(sim.events(known)) == 1


def test_one_closed_incident_fails_the_whole_batch(sim: SimulatedCoralogix, stub) -> None:
    open_id, closed_id = sim.create_incident(name="open"), sim.create_incident(name="closed")
    sim.close(closed_id, by="bob@example.com")
    before = sim.incident(open_id)
    with pytest.raises(grpc.RpcError) as err:
        _assign(stub, [open_id, closed_id], "alice@example.com")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert closed_id in err.value.details()
    assert sim.incident(open_id) == before


@pytest.mark.parametrize(
    ("rpc", "request_message"),
    [
        ("AcknowledgeIncidents", pb.AcknowledgeIncidentsRequest),
        ("ResolveIncidents", pb.ResolveIncidentsRequest),
        ("CloseIncidents", pb.CloseIncidentsRequest),
        ("UnassignIncidents", pb.UnassignIncidentsRequest),
    ],
)
def test_closed_incident_refuses_actions(sim: SimulatedCoralogix, stub, rpc, request_message) -> None:
    incident_id = sim.create_incident(name="x")
    sim.close(incident_id, by="bob@example.com")
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message(incident_ids=svs(incident_id)), metadata=ALICE)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_resolved_incident_cannot_be_acknowledged(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    sim.resolve(incident_id, by="bob@example.com")
    with pytest.raises(grpc.RpcError) as err:
        stub.AcknowledgeIncidents(
            pb.AcknowledgeIncidentsRequest(incident_ids=svs(incident_id)), metadata=ALICE
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(InvalidTransition):
        sim.acknowledge(incident_id, "alice@example.com")


@pytest.mark.parametrize(
    ("rpc", "request_message"),
    [
        ("AcknowledgeIncidents", pb.AcknowledgeIncidentsRequest),
        ("ResolveIncidents", pb.ResolveIncidentsRequest),
        ("CloseIncidents", pb.CloseIncidentsRequest),
        ("UnassignIncidents", pb.UnassignIncidentsRequest),
        ("AssignIncidents", pb.AssignIncidentsRequest),
    ],
)
def test_empty_id_list_is_invalid(stub, rpc, request_message) -> None:
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message(), metadata=ALICE)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_assign_needs_an_assignee(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    with pytest.raises(grpc.RpcError) as err:
        stub.AssignIncidents(pb.AssignIncidentsRequest(incident_ids=svs(incident_id)), metadata=ALICE)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_repeating_an_action_is_a_quiet_no_op(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x")
    ids = svs(incident_id)
    first = stub.AcknowledgeIncidents(
        pb.AcknowledgeIncidentsRequest(incident_ids=ids), metadata=ALICE
    ).incidents[0]
    again = stub.AcknowledgeIncidents(
        pb.AcknowledgeIncidentsRequest(incident_ids=ids), metadata=BOB
    ).incidents[0]
    assert again.last_state_update_key == first.last_state_update_key
    assert len(sim.events(incident_id)) == 2


def test_control_api_changes_are_attributed(sim: SimulatedCoralogix, clock: ManualClock) -> None:
    incident_id = sim.create_incident(name="x")
    sim.acknowledge(incident_id, by="alice@example.com")
    sim.assign(incident_id, to="bob@example.com", by="alice@example.com")
    sim.set_muted(incident_id, True, by="bob@example.com")
    sim.set_muted(incident_id, False)
    sim.set_severity(incident_id, "critical")
    sim.unassign(incident_id, by="bob@example.com")
    sim.close(incident_id, by="alice@example.com")
    sim.retrigger(incident_id)

    events = sim.events(incident_id)
    summary = [
        (e.incident_event_type, e.administrative_event.user_id.value or e.operational_event.system_name.value)
        for e in events
    ]
    assert summary == [
        (EV.INCIDENT_EVENT_TYPE_OPEN, "coralogix-alerts"),
        (EV.INCIDENT_EVENT_TYPE_ACKNOWLEDGE, "alice@example.com"),
        (EV.INCIDENT_EVENT_TYPE_ASSIGN, "alice@example.com"),
        (EV.INCIDENT_EVENT_TYPE_UPSERT_STATE, "bob@example.com"),
        (EV.INCIDENT_EVENT_TYPE_UPSERT_STATE, "coralogix-alerts"),
        (EV.INCIDENT_EVENT_TYPE_UPSERT_STATE, "coralogix-alerts"),
        (EV.INCIDENT_EVENT_TYPE_UNASSIGN, "bob@example.com"),
        (EV.INCIDENT_EVENT_TYPE_CLOSE, "alice@example.com"),
        (EV.INCIDENT_EVENT_TYPE_UPSERT_STATE, "coralogix-alerts"),
    ]
    assert events[3].upsert_state.is_muted.value is True
    assert events[4].upsert_state.is_muted.value is False
    assert events[-1].originator_type == EV.ORIGINATOR_TYPE_OPERATIONAL
    assert (
        events[-1].upsert_state.state_type == upsert_incident_state_pb2.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED
    )

    incident = sim.incident(incident_id)
    assert incident.status == TRIGGERED
    assert incident.state == incident_state_pb2.INCIDENT_STATE_TRIGGERED
    assert not incident.HasField("closed_at")
    assert incident.contextual_labels["alert_severity"] == "Critical"


def test_alert_clearing_resolves_state_and_status(sim: SimulatedCoralogix) -> None:
    incident_id = sim.create_incident(name="x")
    sim.auto_resolve(incident_id)
    incident = sim.incident(incident_id)
    assert (incident.state, incident.status) == (incident_state_pb2.INCIDENT_STATE_RESOLVED, RESOLVED)
    last = sim.events(incident_id)[-1]
    assert last.originator_type == EV.ORIGINATOR_TYPE_OPERATIONAL


def test_stamps_follow_the_clock_when_it_moves(sim: SimulatedCoralogix, clock: ManualClock) -> None:
    incident_id = sim.create_incident(name="x")
    clock.advance(minutes=3)
    sim.acknowledge(incident_id, "alice@example.com")
    stamp = sim.incident(incident_id).last_state_update_time.ToDatetime(tzinfo=clock.now.tzinfo)
    assert stamp == clock.now


def test_bad_severity_is_refused(sim: SimulatedCoralogix) -> None:
    with pytest.raises(ValueError, match="severity"):
        sim.create_incident(name="x", severity="apocalyptic")
    assert sim.incident_ids() == []
