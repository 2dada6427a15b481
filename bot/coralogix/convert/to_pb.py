"""Domain objects -> wire messages: queries, orderings, user ids; incidents and events (for round trips)."""

from __future__ import annotations

from google.protobuf import wrappers_pb2

from bot.coralogix.convert.enums import (
    GROUP_FIELD_TO_PB,
    SEVERITY_TO_PB,
    SORT_FIELD_TO_PB,
    STATE_TO_PB,
    STATUS_TO_PB,
    UPSERT_STATE_TO_PB,
    event_kind_to_pb,
)
from bot.coralogix.convert.times import datetime_to_pb, timedelta_to_pb
from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    meta_label_pb2,
)
from bot.domain import (
    Assignment,
    EventKind,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    Ordering,
)


def _string(value: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=value)


def _user_details(user: str | None) -> assignee_pb2.UserDetails | None:
    return None if user is None else assignee_pb2.UserDetails(user_id=_string(user))


def user_details_to_pb(user: str) -> assignee_pb2.UserDetails:
    return assignee_pb2.UserDetails(user_id=_string(user))


def assignment_to_pb(value: Assignment) -> assignee_pb2.Assignment:
    return assignee_pb2.Assignment(
        assigned_to=_user_details(value.assigned_to), assigned_by=_user_details(value.assigned_by)
    )


def event_to_pb(value: IncidentEvent) -> incident_event_pb2.IncidentEvent:
    m = incident_event_pb2.IncidentEvent(
        id=_string(value.id), incident_event_type=event_kind_to_pb(value.kind)
    )
    if value.actor is not None:
        m.originator_type = incident_event_pb2.ORIGINATOR_TYPE_ADMINISTRATIVE
        m.administrative_event.user_id.value = value.actor
    elif value.system is not None:
        m.originator_type = incident_event_pb2.ORIGINATOR_TYPE_OPERATIONAL
        m.operational_event.system_name.value = value.system
    kind = value.kind
    if kind is EventKind.ASSIGN:
        m.assignment.assignment.CopyFrom(assignment_to_pb(Assignment(value.assigned_to, value.assigned_by)))
    elif kind is EventKind.ACKNOWLEDGE:
        m.acknowledge.SetInParent()
        if value.acknowledged_by is not None:
            m.acknowledge.acknowledged_by.user_id.value = value.acknowledged_by
    elif kind is EventKind.CLOSE:
        m.close.SetInParent()
        if value.closed_by is not None:
            m.close.closed_by.user_id.value = value.closed_by
    elif kind is EventKind.UNASSIGN:
        m.unassign.SetInParent()
    elif kind is EventKind.UPSERT_STATE:
        m.upsert_state.SetInParent()
        if value.state is not None and value.state in UPSERT_STATE_TO_PB:
            m.upsert_state.state_type = UPSERT_STATE_TO_PB[value.state]
        if value.is_muted is not None:
            m.upsert_state.is_muted.CopyFrom(wrappers_pb2.BoolValue(value=value.is_muted))
    elif kind is EventKind.SNOOZE:
        m.snooze_indicator.SetInParent()
        if value.actor is not None:
            m.snooze_indicator.user_id.value = value.actor
        if value.snooze_start is not None:
            m.snooze_indicator.start_time.CopyFrom(datetime_to_pb(value.snooze_start))
        if value.snooze_minutes is not None:
            m.snooze_indicator.duration_minutes.CopyFrom(wrappers_pb2.Int32Value(value=value.snooze_minutes))
    return m


def incident_to_pb(value: Incident) -> incident_pb2.Incident:
    """The wire form of a domain incident (for the sandbox and tests; the bot itself only reads)."""
    m = incident_pb2.Incident(
        id=_string(value.id),
        name=_string(value.name) if value.name else None,
        description=_string(value.description) if value.description else None,
        severity=SEVERITY_TO_PB[value.severity],
        status=STATUS_TO_PB[value.status],
        state=STATE_TO_PB[value.state],
        is_muted=wrappers_pb2.BoolValue(value=value.is_muted),
        assignments=[assignment_to_pb(a) for a in value.assignments],
        contextual_labels=dict(value.contextual_labels),
        display_labels=dict(value.display_labels),
        meta_labels=[
            meta_label_pb2.MetaLabel(key=_string(k), value=_string(v)) for k, v in value.meta_labels
        ],
        events=[event_to_pb(e) for e in value.events],
    )
    if value.created_at is not None:
        m.created_at.CopyFrom(datetime_to_pb(value.created_at))
    if value.closed_at is not None:
        m.closed_at.CopyFrom(datetime_to_pb(value.closed_at))
    if value.last_state_update_time is not None:
        m.last_state_update_time.CopyFrom(datetime_to_pb(value.last_state_update_time))
    if value.last_state_update_key is not None:
        m.last_state_update_key.value = value.last_state_update_key
    if value.duration is not None:
        m.duration.CopyFrom(timedelta_to_pb(value.duration))
    return m


def query_filter_to_pb(value: IncidentFilter) -> incident_query_filter_pb2.IncidentQueryFilter:
    """The IncidentQueryFilter for a domain filter; the creation window goes into `created_at_range`."""
    m = incident_query_filter_pb2.IncidentQueryFilter(
        assignee=[_string(a) for a in value.assignees],
        status=[STATUS_TO_PB[s] for s in value.statuses],
        state=[STATE_TO_PB[s] for s in value.states],
        severity=[SEVERITY_TO_PB[s] for s in value.severities],
        application_name=[_string(a) for a in value.applications],
        subsystem_name=[_string(s) for s in value.subsystems],
    )
    if value.muted is not None:
        m.is_muted.CopyFrom(wrappers_pb2.BoolValue(value=value.muted))
    if value.id_search:
        m.search_query.CopyFrom(
            incident_query_pb2.IncidentSearchQuery(
                query=_string(value.id_search), incident_field=incident_pb2.INCIDENTS_FIELDS_ID
            )
        )
    if value.created_after is not None or value.created_before is not None:
        m.created_at_range.SetInParent()
        if value.created_after is not None:
            m.created_at_range.start_time.CopyFrom(datetime_to_pb(value.created_after))
        if value.created_before is not None:
            m.created_at_range.end_time.CopyFrom(datetime_to_pb(value.created_before))
    return m


def order_by_to_pb(value: Ordering) -> incident_query_pb2.OrderBy:
    direction = (
        incident_query_pb2.ORDER_BY_DIRECTION_DESC
        if value.descending
        else incident_query_pb2.ORDER_BY_DIRECTION_ASC
    )
    return incident_query_pb2.OrderBy(direction=direction, incident_field=SORT_FIELD_TO_PB[value.field])


def group_by_to_pb(value: GroupField) -> incident_query_pb2.GroupBy | None:
    """The GroupBy for a field; None for ASSIGNEE, which Coralogix cannot group on."""
    field = GROUP_FIELD_TO_PB.get(value)
    if field is None:
        return None
    return incident_query_pb2.GroupBy(incident_field=field)
