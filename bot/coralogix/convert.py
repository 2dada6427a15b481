"""Generated IncidentsService messages <-> the bot's domain objects.

This is on the polling hot path, so it reads fields directly (`HasField`, attribute access) and builds
nothing it does not return.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from google.protobuf import duration_pb2, timestamp_pb2, wrappers_pb2

from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
    meta_label_pb2,
    upsert_incident_state_pb2,
)
from bot.domain import (
    AggregationGroup,
    Assignment,
    EventKind,
    GroupField,
    Incident,
    IncidentEvent,
    IncidentFilter,
    Ordering,
    Severity,
    SortField,
    State,
    Status,
)

UNASSIGNED = "unassigned"
"""The assignee key of the group of incidents nobody is assigned to."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PbSeverity = incident_severity_pb2.IncidentSeverity
_PbStatus = incident_status_pb2.IncidentStatus
_PbState = incident_state_pb2.IncidentState
_PbEventType = incident_event_pb2.IncidentEventType
_PbUpsertType = upsert_incident_state_pb2.UpsertIncidentStateType
_PbFields = incident_pb2.IncidentFields

# ----------------------------------------------------------------------------------------------- enums

_SEVERITY_TO_PB: dict[Severity, _PbSeverity.ValueType] = {
    Severity.UNSPECIFIED: _PbSeverity.INCIDENT_SEVERITY_UNSPECIFIED,
    Severity.INFO: _PbSeverity.INCIDENT_SEVERITY_INFO,
    Severity.WARNING: _PbSeverity.INCIDENT_SEVERITY_WARNING,
    Severity.ERROR: _PbSeverity.INCIDENT_SEVERITY_ERROR,
    Severity.CRITICAL: _PbSeverity.INCIDENT_SEVERITY_CRITICAL,
    Severity.LOW: _PbSeverity.INCIDENT_SEVERITY_LOW,
}
_SEVERITY_FROM_PB: dict[int, Severity] = {v: k for k, v in _SEVERITY_TO_PB.items()}

_STATUS_TO_PB: dict[Status, _PbStatus.ValueType] = {
    Status.UNSPECIFIED: _PbStatus.INCIDENT_STATUS_UNSPECIFIED,
    Status.TRIGGERED: _PbStatus.INCIDENT_STATUS_TRIGGERED,
    Status.ACKNOWLEDGED: _PbStatus.INCIDENT_STATUS_ACKNOWLEDGED,
    Status.RESOLVED: _PbStatus.INCIDENT_STATUS_RESOLVED,
}
_STATUS_FROM_PB: dict[int, Status] = {v: k for k, v in _STATUS_TO_PB.items()}

_STATE_TO_PB: dict[State, _PbState.ValueType] = {
    State.UNSPECIFIED: _PbState.INCIDENT_STATE_UNSPECIFIED,
    State.TRIGGERED: _PbState.INCIDENT_STATE_TRIGGERED,
    State.RESOLVED: _PbState.INCIDENT_STATE_RESOLVED,
}
_STATE_FROM_PB: dict[int, State] = {v: k for k, v in _STATE_TO_PB.items()}

_EVENT_KIND_TO_PB: dict[EventKind, _PbEventType.ValueType] = {
    EventKind.UNSPECIFIED: _PbEventType.INCIDENT_EVENT_TYPE_UNSPECIFIED,
    EventKind.UPSERT_STATE: _PbEventType.INCIDENT_EVENT_TYPE_UPSERT_STATE,
    EventKind.OPEN: _PbEventType.INCIDENT_EVENT_TYPE_OPEN,
    EventKind.CLOSE: _PbEventType.INCIDENT_EVENT_TYPE_CLOSE,
    EventKind.SNOOZE: _PbEventType.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR,
    EventKind.ASSIGN: _PbEventType.INCIDENT_EVENT_TYPE_ASSIGN,
    EventKind.ACKNOWLEDGE: _PbEventType.INCIDENT_EVENT_TYPE_ACKNOWLEDGE,
    EventKind.UNASSIGN: _PbEventType.INCIDENT_EVENT_TYPE_UNASSIGN,
}
_EVENT_KIND_FROM_PB: dict[int, EventKind] = {v: k for k, v in _EVENT_KIND_TO_PB.items()}

# The event kind implied by the payload, for servers that leave `incident_event_type` unset.
_EVENT_KIND_FROM_PAYLOAD: dict[str | None, EventKind] = {
    "snooze_indicator": EventKind.SNOOZE,
    "assignment": EventKind.ASSIGN,
    "upsert_state": EventKind.UPSERT_STATE,
    "acknowledge": EventKind.ACKNOWLEDGE,
    "close": EventKind.CLOSE,
    "unassign": EventKind.UNASSIGN,
}

_UPSERT_STATE_TO_PB: dict[State, _PbUpsertType.ValueType] = {
    State.TRIGGERED: _PbUpsertType.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED,
    State.RESOLVED: _PbUpsertType.UPSERT_INCIDENT_STATE_TYPE_RESOLVED,
}
_UPSERT_STATE_FROM_PB: dict[int, State] = {v: k for k, v in _UPSERT_STATE_TO_PB.items()}

_SORT_FIELD_TO_PB: dict[SortField, _PbFields.ValueType] = {
    SortField.CREATED: _PbFields.INCIDENTS_FIELDS_CREATED_TIME,
    SortField.LAST_STATE_UPDATE: _PbFields.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
}

_GROUP_FIELD_TO_PB: dict[GroupField, _PbFields.ValueType] = {
    GroupField.SEVERITY: _PbFields.INCIDENTS_FIELDS_SEVERITY,
    GroupField.STATUS: _PbFields.INCIDENTS_FIELDS_STATUS,
    GroupField.STATE: _PbFields.INCIDENTS_FIELDS_STATE,
    GroupField.APPLICATION: _PbFields.INCIDENTS_FIELDS_APPLICATION_NAME,
    GroupField.SUBSYSTEM: _PbFields.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
}

# The key an aggregation group gets for each member of IncidentFieldOneOf.field.
_GROUP_KEY_NAMES: dict[str, str] = {
    "severity": GroupField.SEVERITY.value,
    "status": GroupField.STATUS.value,
    "state": GroupField.STATE.value,
    "application_name": GroupField.APPLICATION.value,
    "subsystem_name": GroupField.SUBSYSTEM.value,
}


def severity_from_pb(value: int) -> Severity:
    return _SEVERITY_FROM_PB.get(value, Severity.UNSPECIFIED)


def severity_to_pb(value: Severity) -> _PbSeverity.ValueType:
    return _SEVERITY_TO_PB[value]


def status_from_pb(value: int) -> Status:
    return _STATUS_FROM_PB.get(value, Status.UNSPECIFIED)


def status_to_pb(value: Status) -> _PbStatus.ValueType:
    return _STATUS_TO_PB[value]


def state_from_pb(value: int) -> State:
    return _STATE_FROM_PB.get(value, State.UNSPECIFIED)


def state_to_pb(value: State) -> _PbState.ValueType:
    return _STATE_TO_PB[value]


def event_kind_from_pb(value: int) -> EventKind:
    return _EVENT_KIND_FROM_PB.get(value, EventKind.UNSPECIFIED)


def event_kind_to_pb(value: EventKind) -> _PbEventType.ValueType:
    """The wire type; UNSPECIFIED for the kinds only Cases has (`CASES_ONLY_EVENT_KINDS`)."""
    return _EVENT_KIND_TO_PB.get(value, _PbEventType.INCIDENT_EVENT_TYPE_UNSPECIFIED)


# ------------------------------------------------------------------------------------------ times


def datetime_from_pb(ts: timestamp_pb2.Timestamp) -> datetime:
    """An aware UTC datetime (microsecond precision; Python has no nanoseconds)."""
    return _EPOCH + timedelta(0, ts.seconds, ts.nanos // 1000)


def datetime_to_pb(value: datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp; a naive datetime is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(
        seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def timedelta_from_pb(d: duration_pb2.Duration) -> timedelta:
    nanos = d.nanos
    micros = nanos // 1000 if nanos >= 0 else -(-nanos // 1000)
    return timedelta(0, d.seconds, micros)


def timedelta_to_pb(value: timedelta) -> duration_pb2.Duration:
    micros = value // timedelta(microseconds=1)
    seconds = abs(micros) // 1_000_000
    nanos = abs(micros) % 1_000_000 * 1000
    if micros < 0:
        seconds, nanos = -seconds, -nanos
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


# ------------------------------------------------------------------------------- pb -> domain


def _user(details: assignee_pb2.UserDetails) -> str | None:
    return details.user_id.value or None


def assignment_from_pb(m: assignee_pb2.Assignment) -> Assignment:
    return Assignment(
        assigned_to=m.assigned_to.user_id.value or None,
        assigned_by=m.assigned_by.user_id.value or None,
    )


def event_from_pb(m: incident_event_pb2.IncidentEvent) -> IncidentEvent:
    """One history entry; the originator becomes `actor`/`system`, the payload its own fields."""
    actor: str | None = None
    system: str | None = None
    originator = m.WhichOneof("originator")
    if originator == "administrative_event":
        actor = m.administrative_event.user_id.value or None
    elif originator == "operational_event":
        system = m.operational_event.system_name.value or None

    payload = m.WhichOneof("incident_event_payload")
    kind = _EVENT_KIND_FROM_PB.get(m.incident_event_type, EventKind.UNSPECIFIED)
    if kind is EventKind.UNSPECIFIED:
        kind = _EVENT_KIND_FROM_PAYLOAD.get(payload, EventKind.UNSPECIFIED)
    event_id = m.id.value

    if payload is None or payload == "unassign":
        return IncidentEvent(id=event_id, kind=kind, actor=actor, system=system)
    if payload == "assignment":
        assignment = m.assignment.assignment
        return IncidentEvent(
            id=event_id,
            kind=kind,
            actor=actor,
            system=system,
            assigned_to=assignment.assigned_to.user_id.value or None,
            assigned_by=assignment.assigned_by.user_id.value or None,
        )
    if payload == "acknowledge":
        return IncidentEvent(
            id=event_id,
            kind=kind,
            actor=actor,
            system=system,
            acknowledged_by=m.acknowledge.acknowledged_by.user_id.value or None,
        )
    if payload == "close":
        return IncidentEvent(
            id=event_id, kind=kind, actor=actor, system=system, closed_by=_user(m.close.closed_by)
        )
    if payload == "upsert_state":
        upsert = m.upsert_state
        return IncidentEvent(
            id=event_id,
            kind=kind,
            actor=actor,
            system=system,
            state=_UPSERT_STATE_FROM_PB.get(upsert.state_type),
            is_muted=upsert.is_muted.value if upsert.HasField("is_muted") else None,
        )
    snooze = m.snooze_indicator
    return IncidentEvent(
        id=event_id,
        kind=kind,
        actor=actor or snooze.user_id.value or None,
        system=system,
        snooze_start=datetime_from_pb(snooze.start_time) if snooze.HasField("start_time") else None,
        snooze_minutes=snooze.duration_minutes.value if snooze.HasField("duration_minutes") else None,
    )


def incident_from_pb(m: incident_pb2.Incident) -> Incident:
    has = m.HasField
    assignments = m.assignments
    meta_labels = m.meta_labels
    events = m.events
    return Incident(
        id=m.id.value,
        name=m.name.value,
        severity=_SEVERITY_FROM_PB.get(m.severity, Severity.UNSPECIFIED),
        status=_STATUS_FROM_PB.get(m.status, Status.UNSPECIFIED),
        state=_STATE_FROM_PB.get(m.state, State.UNSPECIFIED),
        description=m.description.value,
        created_at=datetime_from_pb(m.created_at) if has("created_at") else None,
        closed_at=datetime_from_pb(m.closed_at) if has("closed_at") else None,
        last_state_update_time=(
            datetime_from_pb(m.last_state_update_time) if has("last_state_update_time") else None
        ),
        last_state_update_key=m.last_state_update_key.value if has("last_state_update_key") else None,
        is_muted=m.is_muted.value,
        duration=timedelta_from_pb(m.duration) if has("duration") else None,
        assignments=tuple(map(assignment_from_pb, assignments)) if assignments else (),
        contextual_labels=dict(m.contextual_labels),
        display_labels=dict(m.display_labels),
        meta_labels=tuple([(label.key.value, label.value.value) for label in meta_labels])
        if meta_labels
        else (),
        events=tuple(map(event_from_pb, events)) if events else (),
    )


def incidents_from_pb(messages: Iterable[incident_pb2.Incident]) -> tuple[Incident, ...]:
    return tuple(map(incident_from_pb, messages))


def _group_key(value: incident_pb2.GroupByValues) -> tuple[str, str]:
    """(key, value) of one group-by value, e.g. ("severity", "critical") or ("app", "shop")."""
    if value.WhichOneof("values") == "contextual_labels":
        label = value.contextual_labels
        return label.field_name.value, label.field_value.value
    field = value.incident_field
    which = field.WhichOneof("field")
    if which is None:
        return "", ""
    name = _GROUP_KEY_NAMES.get(which, which)
    if which == "severity":
        return name, severity_from_pb(field.severity).value
    if which == "status":
        return name, status_from_pb(field.status).value
    if which == "state":
        return name, state_from_pb(field.state).value
    if which in ("created_at", "closed_at", "last_state_update_time"):
        return name, datetime_from_pb(getattr(field, which)).isoformat()
    if which == "duration":
        return name, str(timedelta_from_pb(field.duration).total_seconds())
    wrapper: wrappers_pb2.StringValue = getattr(field, which)
    return name, wrapper.value


def aggregation_from_pb(m: incident_pb2.IncidentAggregation) -> AggregationGroup:
    """One group of ListIncidentAggregations, keyed by its group-by values."""
    by_severity = {severity_from_pb(c.severity): c.count.value for c in m.agg_severity_count}
    total = m.all_values_count.value if m.HasField("all_values_count") else sum(by_severity.values())
    return AggregationGroup(
        key=dict(_group_key(value) for value in m.group_bys_value),
        total=total,
        by_severity=by_severity,
        by_status={status_from_pb(c.status): c.count.value for c in m.agg_status_count},
        by_state={state_from_pb(c.state): c.count.value for c in m.agg_state_count},
        by_assignee=_assignee_counts(m),
        incident_ids=tuple(value.value for value in m.list_incidents_id),
    )


def _assignee_counts(m: incident_pb2.IncidentAggregation) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in m.agg_assignments_count:
        user = entry.assigned_to.user_id.value or UNASSIGNED
        counts[user] = counts.get(user, 0) + entry.count.value
    return counts


def assignee_groups_from_pb(
    aggregations: Iterable[incident_pb2.IncidentAggregation],
) -> list[AggregationGroup]:
    """Coralogix cannot group by assignee: one group per assignee out of the assignment counts.

    Incidents nobody is assigned to are counted under "unassigned": as reported, or else as the
    incidents of the aggregation that no assignment count covers.
    """
    counts: dict[str, int] = {}
    for aggregation in aggregations:
        by_assignee = _assignee_counts(aggregation)
        if UNASSIGNED not in by_assignee and aggregation.HasField("all_values_count"):
            rest = aggregation.all_values_count.value - sum(by_assignee.values())
            if rest > 0:
                by_assignee[UNASSIGNED] = rest
        for user, count in by_assignee.items():
            counts[user] = counts.get(user, 0) + count
    return [
        AggregationGroup(key={GroupField.ASSIGNEE.value: user}, total=count, by_assignee={user: count})
        for user, count in counts.items()
    ]


# ------------------------------------------------------------------------------- domain -> pb


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
        if value.state is not None and value.state in _UPSERT_STATE_TO_PB:
            m.upsert_state.state_type = _UPSERT_STATE_TO_PB[value.state]
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
        severity=_SEVERITY_TO_PB[value.severity],
        status=_STATUS_TO_PB[value.status],
        state=_STATE_TO_PB[value.state],
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
        status=[_STATUS_TO_PB[s] for s in value.statuses],
        state=[_STATE_TO_PB[s] for s in value.states],
        severity=[_SEVERITY_TO_PB[s] for s in value.severities],
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
    return incident_query_pb2.OrderBy(direction=direction, incident_field=_SORT_FIELD_TO_PB[value.field])


def group_by_to_pb(value: GroupField) -> incident_query_pb2.GroupBy | None:
    """The GroupBy for a field; None for ASSIGNEE, which Coralogix cannot group on."""
    field = _GROUP_FIELD_TO_PB.get(value)
    if field is None:
        return None
    return incident_query_pb2.GroupBy(incident_field=field)
