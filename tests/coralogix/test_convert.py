from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import duration_pb2, timestamp_pb2, wrappers_pb2
from hypothesis import given

from bot.coralogix import convert
from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
    incident_query_pb2,
    incidents_service_pb2,
    upsert_incident_state_pb2,
)
from bot.domain import (
    EventKind,
    GroupField,
    Incident,
    IncidentFilter,
    Ordering,
    Severity,
    SortField,
    State,
    Status,
)
from tests.coralogix.strategies import INCIDENT_EVENT_KINDS, events, incidents


@given(incidents)
def test_incident_survives_the_wire(incident):
    wire = convert.incident_to_pb(incident).SerializeToString()
    assert convert.incident_from_pb(incident_pb2.Incident.FromString(wire)) == incident


@given(events())
def test_event_survives_the_wire(event):
    wire = convert.event_to_pb(event).SerializeToString()
    assert convert.event_from_pb(incident_event_pb2.IncidentEvent.FromString(wire)) == event


@pytest.mark.parametrize(
    ("to_pb", "from_pb", "members"),
    [
        (convert.severity_to_pb, convert.severity_from_pb, Severity),
        (convert.status_to_pb, convert.status_from_pb, Status),
        (convert.state_to_pb, convert.state_from_pb, State),
        (convert.event_kind_to_pb, convert.event_kind_from_pb, INCIDENT_EVENT_KINDS),
    ],
)
def test_enums_both_ways(to_pb, from_pb, members):
    wire_values = {to_pb(member) for member in members}
    assert len(wire_values) == len(members)
    for member in members:
        assert from_pb(to_pb(member)) is member
    assert from_pb(999).value == "unspecified"


def test_enum_numbers_are_the_wire_contract():
    assert convert.severity_to_pb(Severity.CRITICAL) == 4
    assert convert.severity_to_pb(Severity.LOW) == 5
    assert convert.status_to_pb(Status.ACKNOWLEDGED) == 2
    assert convert.state_to_pb(State.RESOLVED) == 2
    assert convert.event_kind_to_pb(EventKind.ACKNOWLEDGE) == 8
    assert convert.event_kind_to_pb(EventKind.UNASSIGN) == 9


def test_timestamp_keeps_microseconds_and_reads_naive_as_utc():
    ts = timestamp_pb2.Timestamp(seconds=1706088981, nanos=286_999_999)
    assert convert.datetime_from_pb(ts) == datetime(2024, 1, 24, 9, 36, 21, 286_999, tzinfo=UTC)
    naive = datetime(2024, 1, 24, 9, 36, 21, 5)
    assert convert.datetime_to_pb(naive) == timestamp_pb2.Timestamp(seconds=1706088981, nanos=5000)
    plus_two = datetime(2024, 1, 24, 11, 36, 21, tzinfo=timezone(timedelta(hours=2)))
    assert convert.datetime_to_pb(plus_two).seconds == 1706088981


def test_negative_duration_keeps_one_sign():
    pb = convert.timedelta_to_pb(timedelta(seconds=-1, microseconds=-500))
    assert (pb.seconds, pb.nanos) == (-1, -500_000)
    assert convert.timedelta_from_pb(duration_pb2.Duration(seconds=-1, nanos=-500_000)) == timedelta(
        seconds=-1, microseconds=-500
    )


def test_incident_from_a_sparse_message():
    incident = convert.incident_from_pb(incident_pb2.Incident(id=wrappers_pb2.StringValue(value="i-1")))
    assert incident == Incident(id="i-1")
    assert incident.created_at is None
    assert incident.last_state_update_key is None
    assert incident.assignee is None


def test_incident_fields():
    m = incident_pb2.Incident(
        id=wrappers_pb2.StringValue(value="i-1"),
        name=wrappers_pb2.StringValue(value="checkout 5xx"),
        severity=4,
        status=2,
        state=1,
        is_muted=wrappers_pb2.BoolValue(value=True),
        contextual_labels={"alert_name": "checkout-5xx"},
        display_labels={"coralogix.metadata.applicationName": "shop"},
        assignments=[
            assignee_pb2.Assignment(
                assigned_to=assignee_pb2.UserDetails(user_id=wrappers_pb2.StringValue(value="a@x"))
            )
        ],
    )
    m.closed_at.seconds = 10
    incident = convert.incident_from_pb(m)
    assert (incident.severity, incident.status, incident.state) == (
        Severity.CRITICAL,
        Status.ACKNOWLEDGED,
        State.TRIGGERED,
    )
    assert incident.is_muted
    assert incident.application == "shop"
    assert incident.alert_name == "checkout-5xx"
    assert incident.assignee == "a@x"
    assert incident.closed_at == datetime(1970, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert incident.is_closed


def test_event_kind_falls_back_to_the_payload():
    m = incident_event_pb2.IncidentEvent(
        administrative_event=incident_event_pb2.IncidentEventOriginatorAdministrative(
            user_id=wrappers_pb2.StringValue(value="alice@example.com")
        ),
        acknowledge=incident_event_pb2.IncidentEventAcknowledge(),
    )
    event = convert.event_from_pb(m)
    assert event.kind is EventKind.ACKNOWLEDGE
    assert event.who == "alice@example.com"


def test_upsert_event_reads_state_and_mute():
    m = incident_event_pb2.IncidentEvent(
        incident_event_type=incident_event_pb2.INCIDENT_EVENT_TYPE_UPSERT_STATE,
        operational_event=incident_event_pb2.IncidentEventOriginatorOperational(
            system_name=wrappers_pb2.StringValue(value="alerts")
        ),
        upsert_state=incident_event_pb2.IncidentEventUpsertState(
            state_type=upsert_incident_state_pb2.UPSERT_INCIDENT_STATE_TYPE_RESOLVED,
            is_muted=wrappers_pb2.BoolValue(value=False),
        ),
    )
    event = convert.event_from_pb(m)
    assert (event.kind, event.system, event.state, event.is_muted, event.actor) == (
        EventKind.UPSERT_STATE,
        "alerts",
        State.RESOLVED,
        False,
        None,
    )


def test_empty_filter_sets_nothing():
    assert convert.query_filter_to_pb(IncidentFilter()).ByteSize() == 0


def test_filter_maps_every_field():
    after = datetime(2024, 1, 1, tzinfo=UTC)
    before = datetime(2024, 2, 1, tzinfo=UTC)
    query = convert.query_filter_to_pb(
        IncidentFilter(
            statuses=(Status.TRIGGERED, Status.ACKNOWLEDGED),
            states=(State.RESOLVED,),
            severities=(Severity.CRITICAL, Severity.ERROR),
            applications=("shop",),
            subsystems=("checkout", "cart"),
            assignees=("alice@example.com",),
            created_after=after,
            created_before=before,
            muted=False,
        )
    )
    assert list(query.status) == [1, 2]
    assert list(query.state) == [2]
    assert list(query.severity) == [4, 3]
    assert [v.value for v in query.application_name] == ["shop"]
    assert [v.value for v in query.subsystem_name] == ["checkout", "cart"]
    assert [v.value for v in query.assignee] == ["alice@example.com"]
    assert query.HasField("is_muted")
    assert query.is_muted.value is False
    assert query.created_at_range.start_time.ToDatetime(tzinfo=UTC) == after
    assert query.created_at_range.end_time.ToDatetime(tzinfo=UTC) == before


def test_open_ended_creation_window():
    query = convert.query_filter_to_pb(IncidentFilter(created_before=datetime(2024, 2, 1, tzinfo=UTC)))
    assert query.HasField("created_at_range")
    assert not query.created_at_range.HasField("start_time")
    assert query.created_at_range.HasField("end_time")


@pytest.mark.parametrize(
    ("ordering", "field", "direction"),
    [
        (Ordering(), "INCIDENTS_FIELDS_CREATED_TIME", "ORDER_BY_DIRECTION_DESC"),
        (
            Ordering(SortField.CREATED, descending=False),
            "INCIDENTS_FIELDS_CREATED_TIME",
            "ORDER_BY_DIRECTION_ASC",
        ),
        (
            Ordering(SortField.LAST_STATE_UPDATE, descending=True),
            "INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME",
            "ORDER_BY_DIRECTION_DESC",
        ),
    ],
)
def test_ordering(ordering, field, direction):
    order_by = convert.order_by_to_pb(ordering)
    assert incident_pb2.IncidentFields.Name(order_by.incident_field) == field
    assert incident_query_pb2.OrderByDirection.Name(order_by.direction) == direction


@pytest.mark.parametrize(
    ("group", "field"),
    [
        (GroupField.SEVERITY, "INCIDENTS_FIELDS_SEVERITY"),
        (GroupField.STATUS, "INCIDENTS_FIELDS_STATUS"),
        (GroupField.STATE, "INCIDENTS_FIELDS_STATE"),
        (GroupField.APPLICATION, "INCIDENTS_FIELDS_APPLICATION_NAME"),
        (GroupField.SUBSYSTEM, "INCIDENTS_FIELDS_SUBSYSTEM_NAME"),
    ],
)
def test_group_by(group, field):
    group_by = convert.group_by_to_pb(group)
    assert group_by is not None
    assert incident_pb2.IncidentFields.Name(group_by.incident_field) == field


def test_no_group_by_for_assignee():
    assert convert.group_by_to_pb(GroupField.ASSIGNEE) is None


def _count(value):
    return wrappers_pb2.UInt32Value(value=value)


def _user(user_id):
    return assignee_pb2.UserDetails(user_id=wrappers_pb2.StringValue(value=user_id))


def test_aggregation_group():
    aggregation = incident_pb2.IncidentAggregation(
        group_bys_value=[
            incident_pb2.GroupByValues(
                incident_field=incident_pb2.IncidentFieldOneOf(
                    application_name=wrappers_pb2.StringValue(value="shop")
                )
            ),
            incident_pb2.GroupByValues(incident_field=incident_pb2.IncidentFieldOneOf(severity=4)),
        ],
        agg_severity_count=[incident_pb2.IncidentSeverityCount(severity=4, count=_count(3))],
        agg_status_count=[
            incident_pb2.IncidentStatusCount(status=1, count=_count(2)),
            incident_pb2.IncidentStatusCount(status=2, count=_count(1)),
        ],
        agg_state_count=[incident_pb2.IncidentStateCount(state=1, count=_count(3))],
        agg_assignments_count=[
            incident_pb2.IncidentAssignmentCount(assigned_to=_user("bob@x"), count=_count(1))
        ],
        all_values_count=_count(3),
        list_incidents_id=[wrappers_pb2.StringValue(value=i) for i in ("a", "b", "c")],
    )
    group = convert.aggregation_from_pb(aggregation)
    assert group.key == {"app": "shop", "severity": "critical"}
    assert group.total == 3
    assert group.by_severity == {Severity.CRITICAL: 3}
    assert group.by_status == {Status.TRIGGERED: 2, Status.ACKNOWLEDGED: 1}
    assert group.by_state == {State.TRIGGERED: 3}
    assert group.by_assignee == {"bob@x": 1}
    assert group.incident_ids == ("a", "b", "c")


def test_contextual_label_group_key():
    aggregation = incident_pb2.IncidentAggregation(
        group_bys_value=[
            incident_pb2.GroupByValues(
                contextual_labels=incident_pb2.ContextualLabels(
                    field_name=wrappers_pb2.StringValue(value="team"),
                    field_value=wrappers_pb2.StringValue(value="payments"),
                )
            )
        ],
        agg_severity_count=[incident_pb2.IncidentSeverityCount(severity=1, count=_count(2))],
    )
    group = convert.aggregation_from_pb(aggregation)
    assert group.key == {"team": "payments"}
    assert group.total == 2


def test_assignee_groups_from_assignment_counts():
    response = incidents_service_pb2.ListIncidentAggregationsResponse(
        incident_aggs=[
            incident_pb2.IncidentAggregation(
                agg_assignments_count=[
                    incident_pb2.IncidentAssignmentCount(assigned_to=_user("alice@x"), count=_count(2)),
                    incident_pb2.IncidentAssignmentCount(
                        assigned_to=assignee_pb2.UserDetails(), count=_count(5)
                    ),
                    incident_pb2.IncidentAssignmentCount(assigned_to=_user("bob@x"), count=_count(1)),
                ],
                all_values_count=_count(8),
            )
        ]
    )
    groups = convert.assignee_groups_from_pb(response.incident_aggs)
    assert [(g.key, g.total, dict(g.by_assignee)) for g in groups] == [
        ({"assignee": "alice@x"}, 2, {"alice@x": 2}),
        ({"assignee": "unassigned"}, 5, {"unassigned": 5}),
        ({"assignee": "bob@x"}, 1, {"bob@x": 1}),
    ]


def test_unassigned_group_derived_from_the_total():
    aggregation = incident_pb2.IncidentAggregation(
        agg_assignments_count=[
            incident_pb2.IncidentAssignmentCount(assigned_to=_user("alice@x"), count=_count(2))
        ],
        all_values_count=_count(7),
    )
    groups = convert.assignee_groups_from_pb([aggregation])
    assert [(g.key["assignee"], g.total) for g in groups] == [("alice@x", 2), ("unassigned", 5)]


def test_cases_only_event_kinds_go_out_unspecified():
    for kind in (EventKind.COMMENT, EventKind.PRIORITY, EventKind.NOTIFICATION):
        assert convert.event_kind_to_pb(kind) == 0
