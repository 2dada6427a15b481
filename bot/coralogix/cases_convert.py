"""Generated Cases messages <-> the bot's domain objects: a case is shown to the bot as an `Incident`.

How a case maps (the bot's words on the left):

- status: CLOSED or a RESOLVED state -> RESOLVED; ACKNOWLEDGED -> ACKNOWLEDGED; OPEN -> TRIGGERED;
  `closed_at` is set only for a CLOSED case (to its last update time: a case has no close time);
- state: RESOLVED -> RESOLVED; CREATED and ACTIVE -> TRIGGERED (the alert condition holds);
- severity from the priority: P1 critical, P2 error, P3 warning, P4 info, P5 low; `priority` keeps "P1".."P5";
- title -> name; groupings -> contextual labels (plus `alert_id` of the first alert indicator);
  labels -> display labels; update time -> last state update time (create time when never updated);
- acknowledge time, resolve time and the alert indicators' newest trigger time -> `case_times`.

A case has no mute and no state-update key: `is_muted` is False and `last_state_update_key` None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from bot.coralogix.convert import UNASSIGNED, datetime_from_pb, datetime_to_pb
from bot.coralogix.pb.cases import case_event_pb2, case_filters_pb2, case_pb2, cases_service_pb2
from bot.domain import (
    ALERT_ID_LABEL,
    APPLICATION_LABEL,
    SUBSYSTEM_LABEL,
    AggregationGroup,
    Assignment,
    CaseTimes,
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

SYSTEM_ACTOR = "Coralogix"
"""The `system` of an event Coralogix itself caused (the wire's SystemActor has no name)."""

_Priority = case_pb2.CasePriority
_CaseStatus = case_pb2.CaseStatus
_CaseState = case_pb2.CaseState
_OrderBy = cases_service_pb2.ListCasesRequest.CaseOrderBy

_PRIORITY_NAMES: dict[int, str] = {
    _Priority.CASE_PRIORITY_P1: "P1",
    _Priority.CASE_PRIORITY_P2: "P2",
    _Priority.CASE_PRIORITY_P3: "P3",
    _Priority.CASE_PRIORITY_P4: "P4",
    _Priority.CASE_PRIORITY_P5: "P5",
}
_PRIORITY_SEVERITY: dict[int, Severity] = {
    _Priority.CASE_PRIORITY_P1: Severity.CRITICAL,
    _Priority.CASE_PRIORITY_P2: Severity.ERROR,
    _Priority.CASE_PRIORITY_P3: Severity.WARNING,
    _Priority.CASE_PRIORITY_P4: Severity.INFO,
    _Priority.CASE_PRIORITY_P5: Severity.LOW,
}
_SEVERITY_PRIORITY: dict[Severity, _Priority.ValueType] = {
    Severity.CRITICAL: _Priority.CASE_PRIORITY_P1,
    Severity.ERROR: _Priority.CASE_PRIORITY_P2,
    Severity.WARNING: _Priority.CASE_PRIORITY_P3,
    Severity.INFO: _Priority.CASE_PRIORITY_P4,
    Severity.LOW: _Priority.CASE_PRIORITY_P5,
}
_CATEGORY_NAMES: dict[int, str] = {
    case_pb2.CASE_CATEGORY_SECURITY: "security",
    case_pb2.CASE_CATEGORY_AVAILABILITY: "availability",
}
_OPEN_STATES = (_CaseState.CASE_STATE_CREATED, _CaseState.CASE_STATE_ACTIVE)
_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ------------------------------------------------------------------------------------------- enums


def priority_name(value: int) -> str | None:
    """ "P1".."P5", or None for an unspecified priority."""
    return _PRIORITY_NAMES.get(value)


def priority_from_name(name: str) -> _Priority.ValueType:
    """CASE_PRIORITY_P2 for "P2" or "p2"; ValueError for anything else."""
    text = name.strip().upper()
    if text not in _PRIORITY_NAMES.values():
        raise ValueError(f"unknown priority {name!r}; use P1 (most urgent) to P5")
    return _Priority.Value(f"CASE_PRIORITY_{text}")


def severity_of_priority(value: int) -> Severity:
    return _PRIORITY_SEVERITY.get(value, Severity.UNSPECIFIED)


def priority_of_severity(value: Severity) -> _Priority.ValueType:
    return _SEVERITY_PRIORITY.get(value, _Priority.CASE_PRIORITY_UNSPECIFIED)


def status_of(status: int, state: int) -> Status:
    """The bot's status of a case (see the module docstring)."""
    if status == _CaseStatus.CASE_STATUS_CLOSED or state == _CaseState.CASE_STATE_RESOLVED:
        return Status.RESOLVED
    if status == _CaseStatus.CASE_STATUS_ACKNOWLEDGED:
        return Status.ACKNOWLEDGED
    if status == _CaseStatus.CASE_STATUS_OPEN:
        return Status.TRIGGERED
    return Status.UNSPECIFIED


def state_of(state: int) -> State:
    if state == _CaseState.CASE_STATE_RESOLVED:
        return State.RESOLVED
    if state in _OPEN_STATES:
        return State.TRIGGERED
    return State.UNSPECIFIED


def _effective_priority(m: case_pb2.Case) -> int:
    """The case's priority; else its override, else the system's (servers may fill only the details)."""
    if m.priority:
        return m.priority
    details = m.priority_details
    return details.override if details.HasField("override") else details.system


# --------------------------------------------------------------------------------- case -> domain


def case_from_pb(m: case_pb2.Case) -> Incident:
    has = m.HasField
    priority = _effective_priority(m)
    created = datetime_from_pb(m.create_time) if has("create_time") else None
    updated = datetime_from_pb(m.update_time) if has("update_time") else created
    closed = m.status == _CaseStatus.CASE_STATUS_CLOSED
    contextual = {kv.key: kv.value for kv in m.groupings}
    if m.alert_indicators and m.alert_indicators[0].alert_id:
        contextual.setdefault(ALERT_ID_LABEL, m.alert_indicators[0].alert_id)
    resolved_at = (
        datetime_from_pb(m.resolution_details.resolve_time)
        if has("resolution_details") and m.resolution_details.HasField("resolve_time")
        else None
    )
    end = updated if closed else resolved_at if m.state == _CaseState.CASE_STATE_RESOLVED else None
    triggers = [datetime_from_pb(i.trigger_time) for i in m.alert_indicators if i.HasField("trigger_time")]
    own = CaseTimes(
        acknowledged_at=datetime_from_pb(m.acknowledge_time) if has("acknowledge_time") else None,
        resolved_at=resolved_at,
        triggered_at=max(triggers, default=None),
    )
    return Incident(
        id=m.id,
        name=m.title,
        severity=_PRIORITY_SEVERITY.get(priority, Severity.UNSPECIFIED),
        status=status_of(m.status, m.state),
        state=state_of(m.state),
        description=m.description,
        created_at=created,
        closed_at=updated if closed else None,
        last_state_update_time=updated,
        last_state_update_key=None,
        is_muted=False,
        duration=end - created if end is not None and created is not None and end >= created else None,
        assignments=(Assignment(assigned_to=m.assignee.user_id),)
        if has("assignee") and m.assignee.user_id
        else (),
        contextual_labels=contextual,
        display_labels={kv.key: kv.value for kv in m.labels},
        priority=_PRIORITY_NAMES.get(priority),
        category=_CATEGORY_NAMES.get(m.category),
        readable_id=m.readable_id if has("readable_id") and m.readable_id else None,
        case_times=own,
    )


def cases_from_pb(messages: Iterable[case_pb2.Case]) -> tuple[Incident, ...]:
    return tuple(map(case_from_pb, messages))


def event_from_pb(m: case_event_pb2.CaseEvent) -> IncidentEvent:
    """One case event as a history entry; a user actor becomes `actor`, Coralogix itself `system`."""
    which_actor = m.actor.WhichOneof("actor")
    actor = (m.actor.user.id or None) if which_actor == "user" else None
    system = SYSTEM_ACTOR if which_actor == "system" else None
    at_stamp = m.event_time if m.HasField("event_time") else m.create_time
    at = datetime_from_pb(at_stamp) if m.HasField("event_time") or m.HasField("create_time") else None

    base = IncidentEvent(id=m.event_id, kind=EventKind.UNSPECIFIED, actor=actor, system=system, at=at)
    data = m.event_data
    which = data.WhichOneof("data")
    if which == "created":
        return replace(base, kind=EventKind.OPEN, priority=priority_name(data.created.priority))
    if which == "activated":
        return replace(base, kind=EventKind.UPSERT_STATE, state=State.TRIGGERED)
    if which == "assigned":
        assignee = data.assigned.assignee_user_id or None
        return replace(base, kind=EventKind.ASSIGN, assigned_to=assignee, assigned_by=actor)
    if which == "unassigned":
        return replace(base, kind=EventKind.UNASSIGN)
    if which == "comment":
        return replace(base, kind=EventKind.COMMENT, text=data.comment.unsafe_text)
    if which == "status_changed":
        new_status = data.status_changed.new_status
        if new_status == _CaseStatus.CASE_STATUS_ACKNOWLEDGED:
            return replace(base, kind=EventKind.ACKNOWLEDGE, acknowledged_by=actor)
        if new_status == _CaseStatus.CASE_STATUS_CLOSED:
            return replace(base, kind=EventKind.CLOSE, closed_by=actor)
        if new_status == _CaseStatus.CASE_STATUS_OPEN:
            return replace(base, kind=EventKind.OPEN)
        return replace(base, kind=EventKind.UNSPECIFIED)
    if which == "resolved":
        reason = data.resolved.reason if data.resolved.HasField("reason") else None
        return replace(base, kind=EventKind.UPSERT_STATE, state=State.RESOLVED, text=reason or None)
    if which == "priority_details_changed":
        to = data.priority_details_changed.to
        effective = to.override if to.HasField("override") else to.system
        return replace(base, kind=EventKind.PRIORITY, priority=priority_name(effective))
    if which == "notification_sent":
        return replace(base, kind=EventKind.NOTIFICATION)
    if which == "notification_failed":
        return replace(base, kind=EventKind.NOTIFICATION, text=data.notification_failed.error or None)
    return replace(base, kind=EventKind.UNSPECIFIED)


# --------------------------------------------------------------------------------- domain -> wire


def filters_to_pb(value: IncidentFilter) -> case_filters_pb2.CaseFilters:
    """The CaseFilters that narrow a listing to (a superset of) what `value` asks for.

    CaseFilters cannot say everything an IncidentFilter can (resolved is "state RESOLVED or status
    CLOSED", there is no mute, the text search is not an id search), so `matches` must check each
    case too; this only keeps the server from sending what can never match.
    """
    m = case_filters_pb2.CaseFilters()
    allowed_states: set[_CaseState.ValueType] | None = None
    statuses = set(value.statuses)
    if statuses and Status.RESOLVED not in statuses and Status.UNSPECIFIED not in statuses:
        allowed_states = set(_OPEN_STATES)
        if Status.TRIGGERED in statuses:
            m.statuses.append(_CaseStatus.CASE_STATUS_OPEN)
        if Status.ACKNOWLEDGED in statuses:
            m.statuses.append(_CaseStatus.CASE_STATUS_ACKNOWLEDGED)
    states = set(value.states)
    if states and State.UNSPECIFIED not in states:
        wanted = set(_OPEN_STATES) if State.TRIGGERED in states else set()
        if State.RESOLVED in states:
            wanted.add(_CaseState.CASE_STATE_RESOLVED)
        allowed_states = wanted if allowed_states is None else allowed_states & wanted
    if allowed_states:  # an empty intersection matches nothing: `matches` drops everything
        m.states.extend(sorted(allowed_states))
    if value.severities and Severity.UNSPECIFIED not in value.severities:
        m.priorities.extend(sorted({_SEVERITY_PRIORITY[s] for s in value.severities}))
    if value.applications:
        m.groupings.add(key=APPLICATION_LABEL, values=list(value.applications))
    if value.subsystems:
        m.groupings.add(key=SUBSYSTEM_LABEL, values=list(value.subsystems))
    for assignee in value.assignees:
        m.assignees.add(assignee=assignee)
    if value.id_search:
        m.text_search = value.id_search
    if value.created_after is not None or value.created_before is not None:
        getattr(m.date_range, "from").CopyFrom(datetime_to_pb(value.created_after or _EPOCH))
        m.date_range.to.CopyFrom(datetime_to_pb(value.created_before or _FAR_FUTURE))
    return m


def matches(value: IncidentFilter) -> Callable[[Incident], bool]:
    """Whether a converted case meets every part of the filter (the exact check after `filters_to_pb`)."""
    statuses, states, severities = set(value.statuses), set(value.states), set(value.severities)
    applications, subsystems, assignees = set(value.applications), set(value.subsystems), set(value.assignees)
    search = value.id_search.lower() if value.id_search else None

    def check(incident: Incident) -> bool:
        created = incident.created_at
        return (
            (not statuses or incident.status in statuses)
            and (not states or incident.state in states)
            and (not severities or incident.severity in severities)
            and (not applications or incident.application in applications)
            and (not subsystems or incident.subsystem in subsystems)
            and (not assignees or incident.assignee in assignees)
            and (value.created_after is None or (created is not None and created >= value.created_after))
            and (value.created_before is None or (created is not None and created < value.created_before))
            and (value.muted is None or value.muted is incident.is_muted)
            and (
                search is None
                or search in incident.id.lower()
                or (incident.readable_id is not None and search in incident.readable_id.lower())
            )
        )

    return check


def order_by_to_pb(value: Ordering) -> cases_service_pb2.ListCasesRequest.CaseOrderBy:
    """By update time for both sort fields: Cases cannot order by creation time (the client sorts a page)."""
    direction = (
        _OrderBy.CASE_ORDER_BY_DIRECTION_DESCENDING
        if value.descending
        else _OrderBy.CASE_ORDER_BY_DIRECTION_ASCENDING
    )
    return _OrderBy(field=_OrderBy.CASE_ORDER_BY_FIELD_UPDATED_AT, direction=direction)


def sort_key(field: SortField) -> Callable[[Incident], tuple[datetime, str]]:
    """The key that orders incidents by `field` (a missing time sorts first), ties broken by id."""
    if field is SortField.CREATED:
        return lambda incident: (incident.created_at or _EPOCH, incident.id)
    return lambda incident: (incident.last_state_update_time or _EPOCH, incident.id)


def user_details_to_pb(user: str) -> case_pb2.UserDetails:
    return case_pb2.UserDetails(user_id=user)


# ------------------------------------------------------------------------------- aggregations


def _group_key(field: GroupField | None) -> Callable[[Incident], dict[str, str]]:
    if field is None:
        return lambda incident: {}
    if field is GroupField.SEVERITY:
        return lambda incident: {field.value: incident.severity.value}
    if field is GroupField.STATUS:
        return lambda incident: {field.value: incident.status.value}
    if field is GroupField.STATE:
        return lambda incident: {field.value: incident.state.value}
    if field is GroupField.APPLICATION:
        return lambda incident: {field.value: incident.application or ""}
    if field is GroupField.SUBSYSTEM:
        return lambda incident: {field.value: incident.subsystem or ""}
    return lambda incident: {field.value: incident.assignee or UNASSIGNED}


def aggregate(incidents: Iterable[Incident], group_by: GroupField | None) -> list[AggregationGroup]:
    """Counts as ListIncidentAggregations gives them, worked out here: one group per value of `group_by`
    (a single group when None), each with its counts by severity, status, state and assignee and the
    ids it holds; biggest group first.
    """
    key_of = _group_key(group_by)
    groups: dict[tuple[tuple[str, str], ...], list[Incident]] = {}
    for incident in incidents:
        groups.setdefault(tuple(key_of(incident).items()), []).append(incident)
    result = [_group(dict(key), members) for key, members in groups.items()]
    result.sort(key=lambda group: (-group.total, sorted(group.key.items())))
    return result


def _group(key: dict[str, str], members: list[Incident]) -> AggregationGroup:
    by_severity: dict[Severity, int] = {}
    by_status: dict[Status, int] = {}
    by_state: dict[State, int] = {}
    by_assignee: dict[str, int] = {}
    for incident in members:
        by_severity[incident.severity] = by_severity.get(incident.severity, 0) + 1
        by_status[incident.status] = by_status.get(incident.status, 0) + 1
        by_state[incident.state] = by_state.get(incident.state, 0) + 1
        user = incident.assignee or UNASSIGNED
        by_assignee[user] = by_assignee.get(user, 0) + 1
    return AggregationGroup(
        key=key,
        total=len(members),
        by_severity=by_severity,
        by_status=by_status,
        by_state=by_state,
        by_assignee=by_assignee,
        incident_ids=tuple(incident.id for incident in members),
    )
