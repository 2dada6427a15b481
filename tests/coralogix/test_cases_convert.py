"""Cases messages -> the bot's incidents and events, and the bot's filters -> CaseFilters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.coralogix import cases_convert as convert
from bot.coralogix.convert import datetime_to_pb
from bot.coralogix.pb.cases import case_event_pb2, case_pb2
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

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
S = case_pb2.CaseStatus
St = case_pb2.CaseState


def _case(**fields: object) -> case_pb2.Case:
    case = case_pb2.Case(id="c1", title="checkout 5xx", create_time=datetime_to_pb(T0))
    for name, value in fields.items():
        if isinstance(value, datetime):
            getattr(case, name).CopyFrom(datetime_to_pb(value))
        else:
            setattr(case, name, value)
    return case


@pytest.mark.parametrize(
    ("status", "state", "expected_status", "expected_state", "closed"),
    [
        (S.CASE_STATUS_OPEN, St.CASE_STATE_ACTIVE, Status.TRIGGERED, State.TRIGGERED, False),
        (S.CASE_STATUS_OPEN, St.CASE_STATE_CREATED, Status.TRIGGERED, State.TRIGGERED, False),
        (S.CASE_STATUS_ACKNOWLEDGED, St.CASE_STATE_ACTIVE, Status.ACKNOWLEDGED, State.TRIGGERED, False),
        (S.CASE_STATUS_ACKNOWLEDGED, St.CASE_STATE_RESOLVED, Status.RESOLVED, State.RESOLVED, False),
        (S.CASE_STATUS_OPEN, St.CASE_STATE_RESOLVED, Status.RESOLVED, State.RESOLVED, False),
        (S.CASE_STATUS_CLOSED, St.CASE_STATE_RESOLVED, Status.RESOLVED, State.RESOLVED, True),
        (S.CASE_STATUS_CLOSED, St.CASE_STATE_ACTIVE, Status.RESOLVED, State.TRIGGERED, True),
        (S.CASE_STATUS_UNSPECIFIED, St.CASE_STATE_UNSPECIFIED, Status.UNSPECIFIED, State.UNSPECIFIED, False),
    ],
)
def test_status_and_state(
    status: int, state: int, expected_status: Status, expected_state: State, closed: bool
) -> None:
    incident = convert.case_from_pb(_case(status=status, state=state, update_time=T0 + timedelta(minutes=5)))
    assert (incident.status, incident.state, incident.is_closed) == (expected_status, expected_state, closed)
    assert incident.closed_at == (T0 + timedelta(minutes=5) if closed else None)


@pytest.mark.parametrize(
    ("priority", "name", "severity"),
    [
        (case_pb2.CASE_PRIORITY_P1, "P1", Severity.CRITICAL),
        (case_pb2.CASE_PRIORITY_P2, "P2", Severity.ERROR),
        (case_pb2.CASE_PRIORITY_P3, "P3", Severity.WARNING),
        (case_pb2.CASE_PRIORITY_P4, "P4", Severity.INFO),
        (case_pb2.CASE_PRIORITY_P5, "P5", Severity.LOW),
        (case_pb2.CASE_PRIORITY_UNSPECIFIED, None, Severity.UNSPECIFIED),
    ],
)
def test_priority_is_kept_and_gives_the_severity(priority: int, name: str | None, severity: Severity) -> None:
    incident = convert.case_from_pb(_case(priority=priority))
    assert (incident.priority, incident.severity) == (name, severity)
    if name is not None:
        assert convert.priority_from_name(name.lower()) == priority
        assert convert.priority_of_severity(severity) == priority


def test_priority_from_the_details_when_the_top_field_is_unset() -> None:
    case = _case()
    case.priority_details.system = case_pb2.CASE_PRIORITY_P3
    assert convert.case_from_pb(case).priority == "P3"
    case.priority_details.override = case_pb2.CASE_PRIORITY_P1
    assert convert.case_from_pb(case).priority == "P1"
    with pytest.raises(ValueError, match="unknown priority"):
        convert.priority_from_name("P9")


def test_every_other_field() -> None:
    case = _case(
        description="error rate above 2%",
        category=case_pb2.CASE_CATEGORY_SECURITY,
        readable_id="CASE-42",
        update_time=T0 + timedelta(minutes=2),
        state=St.CASE_STATE_RESOLVED,
    )
    case.assignee.user_id = "alice@example.com"
    case.labels.add(key="team", value="payments")
    case.groupings.add(key="coralogix.metadata.applicationName", value="shop")
    case.alert_indicators.add(alert_id="alert-1")
    case.resolution_details.resolve_time.CopyFrom(datetime_to_pb(T0 + timedelta(minutes=1)))
    incident = convert.case_from_pb(case)
    assert incident.description == "error rate above 2%"
    assert (incident.category, incident.readable_id) == ("security", "CASE-42")
    assert incident.assignee == "alice@example.com"
    assert (incident.label("team"), incident.application) == ("payments", "shop")
    assert incident.contextual_labels["alert_id"] == "alert-1"
    assert incident.alert_name == "checkout 5xx"
    assert (incident.created_at, incident.last_state_update_time) == (T0, T0 + timedelta(minutes=2))
    assert incident.duration == timedelta(minutes=1)
    assert (incident.is_muted, incident.last_state_update_key) == (False, None)
    bare = convert.case_from_pb(case_pb2.Case(id="c2"))
    assert (bare.created_at, bare.last_state_update_time, bare.assignee, bare.readable_id) == (
        None,
        None,
        None,
        None,
    )


def _event(actor: str | None = "alice@example.com", **data: object) -> case_event_pb2.CaseEvent:
    event = case_event_pb2.CaseEvent(event_id="e1", event_time=datetime_to_pb(T0))
    if actor is None:
        event.actor.system.SetInParent()
    else:
        event.actor.user.id = actor
    for name, message in data.items():
        getattr(event.event_data, name).CopyFrom(message)
    return event


def test_events() -> None:
    created = convert.event_from_pb(
        _event(None, created=case_event_pb2.CreatedCaseEvent(priority=case_pb2.CASE_PRIORITY_P2))
    )
    assert (created.kind, created.priority, created.system, created.who, created.at) == (
        EventKind.OPEN,
        "P2",
        "Coralogix",
        None,
        T0,
    )
    ack = convert.event_from_pb(
        _event(
            status_changed=case_event_pb2.StatusChangedCaseEvent(
                old_status=S.CASE_STATUS_OPEN, new_status=S.CASE_STATUS_ACKNOWLEDGED
            )
        )
    )
    assert (ack.kind, ack.acknowledged_by, ack.who) == (
        EventKind.ACKNOWLEDGE,
        "alice@example.com",
        "alice@example.com",
    )
    closed = convert.event_from_pb(
        _event(status_changed=case_event_pb2.StatusChangedCaseEvent(new_status=S.CASE_STATUS_CLOSED))
    )
    assert (closed.kind, closed.closed_by) == (EventKind.CLOSE, "alice@example.com")
    reopened = convert.event_from_pb(
        _event(None, status_changed=case_event_pb2.StatusChangedCaseEvent(new_status=S.CASE_STATUS_OPEN))
    )
    assert reopened.kind is EventKind.OPEN
    assigned = convert.event_from_pb(
        _event(assigned=case_event_pb2.AssignedCaseEvent(assignee_user_id="bob"))
    )
    assert (assigned.kind, assigned.assigned_to, assigned.assigned_by) == (
        EventKind.ASSIGN,
        "bob",
        "alice@example.com",
    )
    unassigned = convert.event_from_pb(_event(unassigned=case_event_pb2.UnassignedCaseEvent()))
    assert unassigned.kind is EventKind.UNASSIGN
    comment = convert.event_from_pb(_event(comment=case_event_pb2.CommentCaseEvent(unsafe_text="on it")))
    assert (comment.kind, comment.text) == (EventKind.COMMENT, "on it")
    resolved = case_event_pb2.ResolvedCaseEvent(reason="rolled back")
    by_person = convert.event_from_pb(_event(resolved=resolved))
    assert (by_person.kind, by_person.state, by_person.text) == (
        EventKind.UPSERT_STATE,
        State.RESOLVED,
        "rolled back",
    )
    activated = convert.event_from_pb(_event(None, activated=case_event_pb2.ActivatedCaseEvent()))
    assert (activated.kind, activated.state) == (EventKind.UPSERT_STATE, State.TRIGGERED)
    change = case_event_pb2.PriorityDetailsChangedCaseEvent()
    change.to.system = case_pb2.CASE_PRIORITY_P3
    change.to.override = case_pb2.CASE_PRIORITY_P1
    assert convert.event_from_pb(_event(priority_details_changed=change)).priority == "P1"
    failed = convert.event_from_pb(
        _event(None, notification_failed=case_event_pb2.NotificationFailedCaseEvent(error="x"))
    )
    assert (failed.kind, failed.text) == (EventKind.NOTIFICATION, "x")
    sent = convert.event_from_pb(_event(None, notification_sent=case_event_pb2.NotificationSentCaseEvent()))
    assert (sent.kind, sent.text) == (EventKind.NOTIFICATION, None)
    assert convert.event_from_pb(case_event_pb2.CaseEvent(event_id="e")).kind is EventKind.UNSPECIFIED


def test_filters_narrow_where_cases_can_say_it() -> None:
    open_ = convert.filters_to_pb(IncidentFilter(statuses=(Status.TRIGGERED, Status.ACKNOWLEDGED)))
    assert (list(open_.statuses), list(open_.states)) == ([1, 2], [1, 2])
    resolved = convert.filters_to_pb(IncidentFilter(statuses=(Status.RESOLVED,)))
    assert (list(resolved.statuses), list(resolved.states)) == (
        [],
        [],
    )  # "state RESOLVED or CLOSED": client-side
    triggered_now = convert.filters_to_pb(
        IncidentFilter(statuses=(Status.TRIGGERED,), states=(State.TRIGGERED,))
    )
    assert (list(triggered_now.statuses), list(triggered_now.states)) == ([1], [1, 2])
    rich = convert.filters_to_pb(
        IncidentFilter(
            severities=(Severity.CRITICAL, Severity.WARNING),
            applications=("shop",),
            subsystems=("api",),
            assignees=("bob",),
            id_search="abc",
            created_after=T0,
        )
    )
    assert list(rich.priorities) == [1, 3]
    assert [(g.key, list(g.values)) for g in rich.groupings] == [
        ("coralogix.metadata.applicationName", ["shop"]),
        ("coralogix.metadata.subsystemName", ["api"]),
    ]
    assert [a.assignee for a in rich.assignees] == ["bob"] and rich.text_search == "abc"
    assert getattr(rich.date_range, "from").seconds == int(T0.timestamp())
    assert rich.date_range.to.seconds > int(T0.timestamp())
    assert not convert.filters_to_pb(IncidentFilter()).ListFields()


def test_matches_is_the_exact_check() -> None:
    case = Incident(id="ABCDEF12-x", status=Status.RESOLVED, created_at=T0, readable_id="CASE-7")
    assert convert.matches(IncidentFilter(statuses=(Status.RESOLVED,)))(case)
    assert not convert.matches(IncidentFilter(statuses=(Status.TRIGGERED,)))(case)
    assert convert.matches(IncidentFilter(id_search="abcdef"))(case)
    assert convert.matches(IncidentFilter(id_search="case-7"))(case)
    assert not convert.matches(IncidentFilter(muted=True))(case)
    assert convert.matches(IncidentFilter(created_after=T0, created_before=T0 + timedelta(seconds=1)))(case)
    assert not convert.matches(IncidentFilter(created_before=T0))(case)


def test_ordering_and_sorting() -> None:
    order = convert.order_by_to_pb(Ordering(SortField.CREATED, descending=False))
    assert (order.field, order.direction) == (4, 1)  # UPDATED_AT: Cases cannot order by creation
    old, new = Incident(id="a", created_at=T0), Incident(id="b", created_at=T0 + timedelta(seconds=1))
    assert sorted([new, old], key=convert.sort_key(SortField.CREATED)) == [old, new]


def test_aggregate() -> None:
    cases = [
        Incident(id="1", severity=Severity.CRITICAL, status=Status.TRIGGERED),
        Incident(id="2", severity=Severity.CRITICAL, status=Status.ACKNOWLEDGED),
        Incident(id="3", severity=Severity.ERROR, status=Status.TRIGGERED),
    ]
    [everything] = convert.aggregate(cases, None)
    assert (everything.key, everything.total, everything.incident_ids) == ({}, 3, ("1", "2", "3"))
    assert everything.by_status == {Status.TRIGGERED: 2, Status.ACKNOWLEDGED: 1}
    assert everything.by_assignee == {"unassigned": 3}
    groups = convert.aggregate(cases, GroupField.SEVERITY)
    assert [(g.key, g.total) for g in groups] == [({"severity": "critical"}, 2), ({"severity": "error"}, 1)]
    assert convert.aggregate([], GroupField.STATUS) == []
