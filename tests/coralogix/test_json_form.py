import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf import json_format
from hypothesis import given

from bot.coralogix import convert
from bot.coralogix.json_form import incident_from_json, incidents_from_json_response, parse_json
from bot.coralogix.pb import incident_pb2, incidents_service_pb2
from bot.domain import Assignment, Severity, State, Status
from tests.coralogix.strategies import incidents

DATA = Path(__file__).parent / "data"


def _load(name):
    return json.loads((DATA / name).read_text())


def test_sample_request_parses_into_list_incidents_request():
    request = parse_json(_load("list_incidents_request.json"), incidents_service_pb2.ListIncidentsRequest())
    assert [a.value for a in request.filter.assignee] == ["assignee@coralogixstg.wpengine.com"]
    assert len(request.order_bys) == 1
    order_by = request.order_bys[0]
    assert order_by.WhichOneof("field") == "incident_field"
    assert incident_pb2.IncidentFields.Name(order_by.incident_field) == "INCIDENTS_FIELDS_CREATED_TIME"
    assert order_by.direction == 0
    assert not request.HasField("pagination")


def test_sample_response_parses_into_domain_incidents():
    [incident] = incidents_from_json_response(_load("list_incidents_response.json"))
    assert incident.id == "cdfaf78b-27ee-401f-8d13-ebd2daa08232"
    assert incident.name == ""
    assert incident.description == ""
    assert (incident.severity, incident.status, incident.state) == (
        Severity.INFO,
        Status.TRIGGERED,
        State.TRIGGERED,
    )
    assert incident.created_at == datetime(2023, 12, 27, 11, 42, tzinfo=UTC)
    assert incident.last_state_update_time == datetime(2024, 1, 24, 9, 36, 21, 286000, tzinfo=UTC)
    assert incident.last_state_update_key == "8cde7807-dedc-418b-b542-62d78fead629"
    assert incident.closed_at is None
    assert incident.is_open
    assert incident.is_muted is False
    assert incident.assignee == "assignee@coralogixstg.wpengine.com"
    assert incident.assignments == (
        Assignment("assignee@coralogixstg.wpengine.com", "assignee@coralogixstg.wpengine.com"),
    )
    assert len(incident.contextual_labels) == 8
    assert incident.contextual_labels["alert_id"] == "e2e1e00f-552f-4dfc-9d24-ab9d21d4979c"
    assert incident.contextual_labels["alert_notification_group_integrations_ids"] == ""
    assert incident.alert_name == "inalert"
    assert incident.title == "inalert"
    assert incident.display_labels == {
        "coralogix.metadata.subsystemName": "coralogix-operator",
        "coralogix.metadata.applicationName": "staging",
    }
    assert (incident.application, incident.subsystem) == ("staging", "coralogix-operator")
    assert incident.events == ()


def _sample_incident():
    return _load("list_incidents_response.json")["incidents"][0]


def test_labels_as_a_map_read_like_labels_as_a_list():
    as_list = _sample_incident()
    as_map = _sample_incident()
    as_map["contextual_labels"] = {e["key"]: e["value"] for e in as_list["contextual_labels"]}
    as_map["display_labels"] = {e["key"]: e["value"] for e in as_list["display_labels"]}
    assert incident_from_json(as_map) == incident_from_json(as_list)
    assert incident_from_json(as_map).display_labels["coralogix.metadata.applicationName"] == "staging"


@pytest.mark.parametrize(
    ("shape", "muted"),
    [({"value": True}, True), (True, True), ({"value": False}, False), ({}, False), (None, False)],
)
def test_muted_flag_in_every_shape(shape, muted):
    obj = _sample_incident()
    obj["is_muted"] = shape
    assert incident_from_json(obj).is_muted is muted


def test_canonical_json():
    obj = {
        "id": "i-1",
        "name": "checkout 5xx",
        "severity": "INCIDENT_SEVERITY_CRITICAL",
        "status": 2,
        "createdAt": "2024-01-24T09:36:21.286Z",
        "closedAt": None,
        "isMuted": True,
        "lastStateUpdateKey": "k",
        "contextualLabels": {"alert_name": "checkout-5xx"},
        "displayLabels": [{"key": "coralogix.metadata.applicationName", "value": "shop"}],
        "metaLabels": [{"key": "team", "value": "payments"}],
        "duration": "90.5s",
        "assignments": [{"assignedTo": {"userId": "alice@example.com"}}],
        "events": [
            {
                "id": "e-1",
                "incidentEventType": "INCIDENT_EVENT_TYPE_ACKNOWLEDGE",
                "administrativeEvent": {"userId": "alice@example.com"},
                "acknowledge": {"acknowledgedBy": {"userId": "alice@example.com"}},
            }
        ],
        "someFutureField": {"x": 1},
    }
    incident = incident_from_json(obj)
    assert incident.name == "checkout 5xx"
    assert incident.severity is Severity.CRITICAL
    assert incident.status is Status.ACKNOWLEDGED
    assert incident.created_at == datetime(2024, 1, 24, 9, 36, 21, 286000, tzinfo=UTC)
    assert incident.closed_at is None
    assert incident.is_muted is True
    assert incident.label("team") == "payments"
    assert incident.application == "shop"
    assert incident.duration is not None
    assert incident.duration.total_seconds() == 90.5
    assert incident.assignee == "alice@example.com"
    assert incident.events[0].who == "alice@example.com"


@given(incidents)
def test_protobuf_canonical_json_round_trip(incident):
    message = convert.incident_to_pb(incident)
    for proto_names in (False, True):
        obj = json_format.MessageToDict(message, preserving_proto_field_name=proto_names)
        assert incident_from_json(json.loads(json.dumps(obj))) == incident


def test_grpcurl_timestamp_shape_with_string_seconds():
    obj = {"id": {"value": "i"}, "closed_at": {"seconds": "1703677320"}, "duration": {"seconds": "60"}}
    incident = incident_from_json(obj)
    assert incident.closed_at == datetime(2023, 12, 27, 11, 42, tzinfo=UTC)
    assert incident.duration is not None
    assert incident.duration.total_seconds() == 60


@pytest.mark.parametrize(
    "response",
    [
        {"incidents": {"i-1": {"id": "i-1"}, "i-2": {"id": {"value": "i-2"}}}, "not_found_ids": []},
        {"incidents": [{"id": "i-1"}, {"id": "i-2"}]},
        [{"id": "i-1"}, {"id": "i-2"}],
    ],
)
def test_response_shapes(response):
    assert [i.id for i in incidents_from_json_response(response)] == ["i-1", "i-2"]


def test_single_incident_response_and_empty_response():
    assert [i.id for i in incidents_from_json_response({"incident": {"id": "x"}})] == ["x"]
    assert incidents_from_json_response({}) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"created_at": "yesterday"},
        {"assignments": {"assigned_to": "a"}},
        {"contextual_labels": "team=payments"},
        {"assignments": ["alice"]},
    ],
)
def test_malformed_incident_is_a_value_error(bad):
    with pytest.raises(ValueError):  # noqa: PT011 - the message is protobuf's
        incident_from_json(bad)


def test_malformed_response_is_a_value_error():
    with pytest.raises(ValueError, match="incidents"):
        incidents_from_json_response({"incidents": "none"})
    with pytest.raises(ValueError, match="must be an object"):
        incidents_from_json_response("incidents")
