"""Wire messages -> domain objects, on the polling hot path: fields read directly, nothing extra built."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import wrappers_pb2

from bot.coralogix.convert.enums import (
    EVENT_KIND_FROM_PAYLOAD,
    EVENT_KIND_FROM_PB,
    GROUP_KEY_NAMES,
    SEVERITY_FROM_PB,
    STATE_FROM_PB,
    STATUS_FROM_PB,
    UPSERT_STATE_FROM_PB,
    severity_from_pb,
    state_from_pb,
    status_from_pb,
)
from bot.coralogix.convert.times import datetime_from_pb, timedelta_from_pb
from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
)
from bot.domain import (
    AggregationGroup,
    Assignment,
    EventKind,
    GroupField,
    Incident,
    IncidentEvent,
    Severity,
    State,
    Status,
)

UNASSIGNED = "unassigned"
"""The assignee key of the group of incidents nobody is assigned to."""


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
    kind = EVENT_KIND_FROM_PB.get(m.incident_event_type, EventKind.UNSPECIFIED)
    if kind is EventKind.UNSPECIFIED:
        kind = EVENT_KIND_FROM_PAYLOAD.get(payload, EventKind.UNSPECIFIED)
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
            state=UPSERT_STATE_FROM_PB.get(upsert.state_type),
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
        severity=SEVERITY_FROM_PB.get(m.severity, Severity.UNSPECIFIED),
        status=STATUS_FROM_PB.get(m.status, Status.UNSPECIFIED),
        state=STATE_FROM_PB.get(m.state, State.UNSPECIFIED),
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
    name = GROUP_KEY_NAMES.get(which, which)
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
