"""Bytes encoded by hand from the published field numbers decode through our generated messages."""

from __future__ import annotations

from google.protobuf.unknown_fields import UnknownFieldSet

from bot.coralogix.pb import incident_event_pb2, incident_pb2, incidents_service_pb2
from tests.protos.rawwire import decode, field_bytes, field_varint, string_value, unwrap_string


def _timestamp(number: int, seconds: int, nanos: int = 0) -> bytes:
    return field_bytes(number, field_varint(1, seconds) + (field_varint(2, nanos) if nanos else b""))


def _map_entry(number: int, key: str, value: str) -> bytes:
    return field_bytes(number, field_bytes(1, key) + field_bytes(2, value))


def _incident_bytes() -> bytes:
    assignment = field_bytes(1, string_value(1, "alice@example.com")) + field_bytes(
        2, string_value(1, "bob@example.com")
    )
    meta = string_value(1, "team") + string_value(2, "payments")
    return b"".join(
        [
            string_value(1, "cdfaf78b-27ee-401f-8d13-ebd2daa08232"),
            string_value(2, "checkout 5xx"),
            field_varint(3, 1),  # state TRIGGERED
            field_varint(4, 2),  # status ACKNOWLEDGED
            field_bytes(5, assignment),
            string_value(6, "error rate above 2%"),
            field_varint(7, 4),  # severity CRITICAL
            _timestamp(11, 1703677320),
            _map_entry(13, "alert_name", "inalert"),
            _map_entry(14, "coralogix.metadata.applicationName", "staging"),
            _timestamp(15, 1706088981, 286000000),
            string_value(16, "8cde7807-dedc-418b-b542-62d78fead629"),
            field_bytes(17, field_varint(1, 1)),  # is_muted BoolValue(true)
            field_bytes(18, meta),
            field_bytes(19, field_varint(1, 90)),  # duration 90 s
        ]
    )


def test_incident_decodes_every_field() -> None:
    incident = incident_pb2.Incident.FromString(_incident_bytes())
    assert incident.id.value == "cdfaf78b-27ee-401f-8d13-ebd2daa08232"
    assert incident.name.value == "checkout 5xx"
    assert incident.state == 1 and incident.status == 2 and incident.severity == 4
    assert incident.assignments[0].assigned_to.user_id.value == "alice@example.com"
    assert incident.assignments[0].assigned_by.user_id.value == "bob@example.com"
    assert incident.description.value == "error rate above 2%"
    assert incident.created_at.seconds == 1703677320
    assert dict(incident.contextual_labels) == {"alert_name": "inalert"}
    assert dict(incident.display_labels) == {"coralogix.metadata.applicationName": "staging"}
    assert incident.last_state_update_time.nanos == 286000000
    assert incident.last_state_update_key.value.startswith("8cde7807")
    assert incident.is_muted.value is True
    assert (incident.meta_labels[0].key.value, incident.meta_labels[0].value.value) == ("team", "payments")
    assert incident.duration.seconds == 90
    # nothing was left unknown: re-encoding keeps every byte's meaning
    assert len(UnknownFieldSet(incident)) == 0


def test_event_oneofs_decode() -> None:
    raw = (
        string_value(1, "ev-1")
        + field_varint(2, 8)  # ACKNOWLEDGE
        + field_varint(3, 2)  # ADMINISTRATIVE
        + field_bytes(100, string_value(1, "alice@example.com"))
        + field_bytes(203, field_bytes(1, string_value(1, "alice@example.com")))
    )
    event = incident_event_pb2.IncidentEvent.FromString(raw)
    assert event.WhichOneof("originator") == "administrative_event"
    assert event.WhichOneof("incident_event_payload") == "acknowledge"
    assert event.acknowledge.acknowledged_by.user_id.value == "alice@example.com"


def test_list_response_with_pagination() -> None:
    raw = field_bytes(1, _incident_bytes()) + field_bytes(
        4, field_bytes(1, field_varint(1, 1)) + string_value(2, "tok")
    )
    response = incidents_service_pb2.ListIncidentsResponse.FromString(raw)
    assert len(response.incidents) == 1
    assert response.pagination.total_size.value == 1
    assert response.pagination.next_page_token.value == "tok"


def test_requests_encode_to_the_published_numbers() -> None:
    request = incidents_service_pb2.AcknowledgeIncidentsRequest()
    request.incident_ids.add(value="a")
    assert [(n, unwrap_string(v)) for n, _, v in decode(request.SerializeToString())] == [(2, "a")]
    assign = incidents_service_pb2.AssignIncidentsRequest()
    assign.incident_ids.add(value="x")
    assign.assigned_to.user_id.value = "alice@example.com"
    numbers = [n for n, _, _ in decode(assign.SerializeToString())]
    assert sorted(numbers) == [2, 5]
