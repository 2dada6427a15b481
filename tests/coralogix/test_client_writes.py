"""Every write rpc of IncidentsClient against the simulated IncidentsService over a real socket."""

import pytest

from bot.domain import EventKind, State, Status
from tests.coralogix.keys import ALICE_KEY, TEAM_KEY, TEAM_USER


@pytest.fixture
def two(sim):
    return [
        sim.create_incident(name="API latency", severity="error", application="shop", subsystem="api"),
        sim.create_incident(name="Queue backlog", severity="warning", application="shop", subsystem="queue"),
    ]


def test_acknowledge(client, sim, two, observed):
    incidents = client.acknowledge(two)
    assert [incident.id for incident in incidents] == two
    assert {incident.status for incident in incidents} == {Status.ACKNOWLEDGED}
    [call] = sim.calls_to("AcknowledgeIncidents")
    assert [v.value for v in call.request.incident_ids] == two
    assert (call.api_key, call.user_id, call.code) == (TEAM_KEY, TEAM_USER, "OK")
    ack = client.get_incident_events(two[0])[-1]
    assert (ack.kind, ack.who) == (EventKind.ACKNOWLEDGE, TEAM_USER)
    assert [rpc for rpc, _, _ in observed] == ["AcknowledgeIncidents", "GetIncidentEvents"]


def test_per_call_key_is_the_administrative_user(client, sim, two):
    client.acknowledge([two[0]], api_key=ALICE_KEY)
    call = sim.calls_to("AcknowledgeIncidents")[-1]
    assert (call.api_key, call.user_id) == (ALICE_KEY, "alice@example.com")
    event = client.get_incident_events(two[0])[-1]
    assert event.kind is EventKind.ACKNOWLEDGE
    assert event.actor == "alice@example.com"
    assert sim.calls_to("GetIncidentEvents")[-1].api_key == TEAM_KEY


def test_assign_and_unassign(client, sim, two):
    [assigned] = client.assign([two[0]], "bob@example.com", api_key=ALICE_KEY)
    assert assigned.assignee == "bob@example.com"
    assert assigned.assignments[-1].assigned_by == "alice@example.com"
    request = sim.calls_to("AssignIncidents")[-1].request
    assert request.assigned_to.user_id.value == "bob@example.com"
    assert [v.value for v in request.incident_ids] == [two[0]]
    event = client.get_incident_events(two[0])[-1]
    assert (event.kind, event.assigned_to, event.actor) == (
        EventKind.ASSIGN,
        "bob@example.com",
        "alice@example.com",
    )

    [unassigned] = client.unassign([two[0]])
    assert unassigned.assignee is None
    assert [v.value for v in sim.calls_to("UnassignIncidents")[-1].request.incident_ids] == [two[0]]
    assert client.get_incident_events(two[0])[-1].kind is EventKind.UNASSIGN


def test_resolve(client, sim, two):
    [resolved] = client.resolve([two[1]])
    assert resolved.status is Status.RESOLVED
    assert resolved.is_open
    assert [v.value for v in sim.calls_to("ResolveIncidents")[-1].request.incident_ids] == [two[1]]


def test_close(client, sim, two):
    closed = client.close(two, api_key=ALICE_KEY)
    assert all(incident.is_closed for incident in closed)
    assert {incident.state for incident in closed} == {State.RESOLVED}
    event = client.get_incident_events(two[1])[-1]
    assert (event.kind, event.closed_by) == (EventKind.CLOSE, "alice@example.com")


def test_writes_need_ids_and_an_assignee(client, sim, two):
    with pytest.raises(ValueError, match="no incident ids"):
        client.acknowledge([])
    with pytest.raises(TypeError):
        client.close(two[0])
    with pytest.raises(ValueError, match="no assignee"):
        client.assign(two, "  ")
    assert sim.calls == []
