"""Bytes encoded by hand from the published field numbers decode through our generated messages."""

from __future__ import annotations

from google.protobuf.unknown_fields import UnknownFieldSet

from bot.coralogix.pb import incident_event_pb2, incident_pb2, incidents_service_pb2
from bot.coralogix.pb.cases import case_event_pb2, case_pb2, cases_service_pb2
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


# ------------------------------------------------------------------------------------------------ Cases


def _key_value(number: int, key: str, value: str) -> bytes:
    return field_bytes(number, field_bytes(1, key) + field_bytes(2, value))


def _case_bytes() -> bytes:
    indicator = b"".join(
        [
            field_bytes(1, "alert-1"),
            field_bytes(2, "v7"),
            field_varint(3, 2),  # ALERT_PRIORITY_P2
            field_varint(4, 3),  # GROUPING_TYPE_NONE
            _key_value(5, "coralogix.metadata.applicationName", "shop"),
            field_varint(6, 1),  # TRIGGERED
            _timestamp(7, 1703677320),
        ]
    )
    return b"".join(
        [
            field_bytes(1, "case-1"),
            field_bytes(2, "checkout 5xx"),
            field_bytes(3, "error rate above 2%"),
            field_bytes(4, field_bytes(1, "alice@example.com")),
            field_varint(5, 2),  # state ACTIVE
            field_varint(6, 2),  # status ACKNOWLEDGED
            field_varint(7, 1),  # priority P1
            field_varint(8, 2),  # category AVAILABILITY
            _timestamp(9, 1703677320),
            _timestamp(10, 1706088981, 286000000),
            _timestamp(11, 1703677400),
            field_bytes(12, field_varint(1, 2) + _timestamp(2, 1703677500)),  # resolved by USER
            _key_value(13, "team", "payments"),
            _key_value(14, "coralogix.metadata.subsystemName", "checkout"),
            field_bytes(15, field_varint(1, 2) + field_varint(2, 1)),  # system P2, override P1
            field_bytes(16, indicator),
            field_bytes(17, "CASE-42"),
        ]
    )


def test_case_decodes_every_field() -> None:
    case = case_pb2.Case.FromString(_case_bytes())
    assert (case.id, case.title, case.description) == ("case-1", "checkout 5xx", "error rate above 2%")
    assert case.assignee.user_id == "alice@example.com"
    assert (case.state, case.status, case.priority, case.category) == (2, 2, 1, 2)
    assert case.create_time.seconds == 1703677320
    assert case.update_time.nanos == 286000000
    assert case.acknowledge_time.seconds == 1703677400
    assert case.resolution_details.resolved_by == case_pb2.ResolutionDetails.CASE_RESOLVER_USER
    assert [(kv.key, kv.value) for kv in case.labels] == [("team", "payments")]
    assert case.groupings[0].value == "checkout"
    assert case.priority_details.system == 2 and case.priority_details.override == 1
    indicator = case.alert_indicators[0]
    assert (indicator.alert_id, indicator.alert_version_id, indicator.priority) == ("alert-1", "v7", 2)
    assert indicator.groupings[0].value == "shop" and not indicator.HasField("resolve_time")
    assert case.readable_id == "CASE-42"
    assert len(UnknownFieldSet(case)) == 0


def test_case_optional_fields_keep_their_absence() -> None:
    case = case_pb2.Case.FromString(field_bytes(1, "c") + field_bytes(2, "t"))
    assert not case.HasField("description") and not case.HasField("assignee")
    assert not case.HasField("update_time") and not case.HasField("readable_id")


def test_case_event_oneofs_decode() -> None:
    raw = b"".join(
        [
            field_bytes(1, "ev-1"),
            field_bytes(2, field_bytes(3, field_bytes(1, "looking into it"))),  # data.comment
            field_bytes(3, field_bytes(2, field_bytes(1, "alice@example.com"))),  # actor.user
            _timestamp(4, 1703677320),
            _timestamp(5, 1703677321),
        ]
    )
    event = case_event_pb2.CaseEvent.FromString(raw)
    assert event.event_data.WhichOneof("data") == "comment"
    assert event.event_data.comment.unsafe_text == "looking into it"
    assert event.actor.WhichOneof("actor") == "user" and event.actor.user.id == "alice@example.com"
    status = case_event_pb2.CaseEventData.FromString(field_bytes(5, field_varint(1, 1) + field_varint(2, 3)))
    assert (status.status_changed.old_status, status.status_changed.new_status) == (1, 3)
    resolved = case_event_pb2.ResolvedCaseEvent.FromString(field_varint(1, 2) + field_bytes(2, "fixed"))
    assert getattr(resolved, "from") == case_pb2.CASE_STATE_ACTIVE and resolved.reason == "fixed"


def test_list_cases_response_with_pagination() -> None:
    raw = field_bytes(1, _case_bytes()) + field_bytes(2, field_varint(1, 7) + field_bytes(2, "tok"))
    response = cases_service_pb2.ListCasesResponse.FromString(raw)
    assert [case.id for case in response.cases] == ["case-1"]
    assert (response.pagination.total_size, response.pagination.next_page_token) == (7, "tok")


def test_case_requests_encode_to_the_published_numbers() -> None:
    ack = cases_service_pb2.AcknowledgeCaseRequest(
        id="case-1", actor=case_pb2.UserDetails(user_id="alice@example.com")
    )
    fields = decode(ack.SerializeToString())
    assert [(n, v) for n, _, v in fields] == [(1, b"case-1"), (2, field_bytes(1, "alice@example.com"))]
    assign = cases_service_pb2.AssignCaseRequest(id="c", assignee=case_pb2.UserDetails(user_id="bob"))
    assert [n for n, _, _ in decode(assign.SerializeToString())] == [1, 2]
    listing = cases_service_pb2.ListCasesRequest()
    listing.pagination.page_size = 0  # an explicit zero is sent: `optional` keeps presence
    listing.order_by.field = cases_service_pb2.ListCasesRequest.CaseOrderBy.CASE_ORDER_BY_FIELD_UPDATED_AT
    [(number, _, pagination), (order_number, _, order)] = decode(listing.SerializeToString())
    assert (number, pagination) == (2, field_varint(1, 0))
    assert (order_number, order) == (3, field_varint(1, 4))
