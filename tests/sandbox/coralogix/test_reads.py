"""GetIncident, BatchGetIncident, GetIncidentEvents, GetFilterValues and the rpcs left unimplemented."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from bot.coralogix.pb import (
    incident_event_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
)
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix

from .support import START, TEAM, ManualClock, sv, svs


def test_get_incident_looks_like_coralogix(sim: SimulatedCoralogix, clock: ManualClock, stub) -> None:
    incident_id = sim.create_incident(
        name="checkout 5xx rate above 2%",
        severity="critical",
        application="shop",
        subsystem="checkout",
        description="More than 2% of requests failed.",
        meta_labels={"team": "payments", "env": "production"},
        created_at=START - timedelta(minutes=5),
    )
    clock.advance(minutes=1)

    incident = stub.GetIncident(pb.GetIncidentRequest(id=sv(incident_id)), metadata=TEAM).incident

    assert incident.id.value == incident_id
    assert incident.name.value == "checkout 5xx rate above 2%"
    assert incident.severity == incident_severity_pb2.INCIDENT_SEVERITY_CRITICAL
    assert incident.status == incident_status_pb2.INCIDENT_STATUS_TRIGGERED
    assert incident.state == incident_state_pb2.INCIDENT_STATE_TRIGGERED
    assert incident.description.value == "More than 2% of requests failed."
    assert incident.created_at.ToDatetime(tzinfo=START.tzinfo) == START - timedelta(minutes=5)
    assert incident.last_state_update_time.ToDatetime(tzinfo=START.tzinfo) == START
    assert incident.last_state_update_key.value
    assert incident.HasField("is_muted") and incident.is_muted.value is False
    assert not incident.HasField("closed_at")
    assert incident.duration.seconds == 6 * 60
    assert dict(incident.display_labels) == {
        "coralogix.metadata.applicationName": "shop",
        "coralogix.metadata.subsystemName": "checkout",
    }
    labels = dict(incident.contextual_labels)
    assert labels["alert_name"] == "checkout 5xx rate above 2%"
    assert labels["alert_severity"] == "Critical"
    assert {"alert_id", "alert_type", "alert_group_by_fields", "alert_notification_group_id"} <= labels.keys()
    assert [(m.key.value, m.value.value) for m in incident.meta_labels] == [
        ("team", "payments"),
        ("env", "production"),
    ]
    assert list(incident.assignments) == []
    assert list(incident.events) == []  # the real service leaves them out too


def test_get_unknown_incident_is_not_found(sim: SimulatedCoralogix, stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.GetIncident(pb.GetIncidentRequest(id=sv("no-such-id")), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.details() == "incident no-such-id not found"


def test_get_without_id_is_invalid(stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.GetIncident(pb.GetIncidentRequest(), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_batch_get_reports_unknown_ids(sim: SimulatedCoralogix, stub) -> None:
    first, second = sim.create_incident(name="a"), sim.create_incident(name="b")
    response = stub.BatchGetIncident(
        pb.BatchGetIncidentRequest(ids=svs(first, "ghost", second)), metadata=TEAM
    )
    assert set(response.incidents) == {first, second}
    assert response.incidents[second].name.value == "b"
    assert [v.value for v in response.not_found_ids] == ["ghost"]


def test_batch_get_needs_ids(stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.BatchGetIncident(pb.BatchGetIncidentRequest(), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_new_incident_has_an_open_event_from_the_alerting_system(sim: SimulatedCoralogix, stub) -> None:
    incident_id = sim.create_incident(name="x", muted=True)
    events = stub.GetIncidentEvents(pb.GetIncidentEventsRequest(incident_id=sv(incident_id)), metadata=TEAM)
    [opened] = events.incident_events
    assert opened.incident_event_type == incident_event_pb2.INCIDENT_EVENT_TYPE_OPEN
    assert opened.originator_type == incident_event_pb2.ORIGINATOR_TYPE_OPERATIONAL
    assert opened.operational_event.system_name.value == "coralogix-alerts"
    assert opened.upsert_state.is_muted.value is True
    assert sim.incident(incident_id).is_muted.value is True


def test_events_of_unknown_incident_is_not_found(stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stub.GetIncidentEvents(pb.GetIncidentEventsRequest(incident_id=sv("ghost")), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "ghost" in err.value.details()


def test_control_api_reads_return_copies(sim: SimulatedCoralogix) -> None:
    incident_id = sim.create_incident(name="x")
    copy = sim.incident(incident_id)
    copy.name.value = "changed"
    assert sim.incident(incident_id).name.value == "x"
    events = sim.events(incident_id)
    events[0].id.value = "changed"
    assert sim.events(incident_id)[0].id.value != "changed"
    with pytest.raises(LookupError):
        sim.incident("ghost")


def test_filter_values_count_what_the_filter_keeps(sim: SimulatedCoralogix, stub) -> None:
    sim.create_incident(name="a", severity="error", application="shop", meta_labels={"team": "storefront"})
    b = sim.create_incident(
        name="b", severity="error", application="payments", meta_labels={"team": "payments"}
    )
    sim.create_incident(name="c", severity="info", application="shop", meta_labels={"team": "storefront"})
    sim.assign(b, "alice@example.com", "bob@example.com")
    response = stub.GetFilterValues(
        pb.GetFilterValuesRequest(filter={"severity": [incident_severity_pb2.INCIDENT_SEVERITY_ERROR]}),
        metadata=TEAM,
    )
    values = response.filters_values
    assert {(s.severity, s.count.value) for s in values.severity_with_count} == {
        (incident_severity_pb2.INCIDENT_SEVERITY_ERROR, 2)
    }
    assert [(a.assignee.value, a.count.value) for a in values.assignee_with_count] == [
        ("alice@example.com", 1)
    ]
    apps = values.display_labels["coralogix.metadata.applicationName"].values_with_count
    assert {(v.display_label_value.value, v.count.value) for v in apps} == {("shop", 1), ("payments", 1)}
    teams = {(m.meta_label.value.value, m.count.value) for m in values.meta_labels_with_count}
    assert teams == {("storefront", 1), ("payments", 1)}


@pytest.mark.parametrize(
    ("rpc", "request_message"),
    [
        ("GetIncidentByEventId", pb.GetIncidentByEventIdRequest()),
        ("AcknowledgeIncidentByEventId", pb.AcknowledgeIncidentByEventIdRequest()),
        ("ResolveIncidentByEventId", pb.ResolveIncidentByEventIdRequest()),
        ("GetIncidentUsingCorrelationKey", pb.GetIncidentUsingCorrelationKeyRequest()),
        ("ListIncidentEventsTotalCount", pb.ListIncidentEventsTotalCountRequest()),
        ("ListIncidentEventsFilterValues", pb.ListIncidentEventsFilterValuesRequest()),
    ],
)
def test_rpcs_not_simulated_are_unimplemented(sim: SimulatedCoralogix, stub, rpc, request_message) -> None:
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message, metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert sim.calls_to(rpc)[-1].code == "UNIMPLEMENTED"
