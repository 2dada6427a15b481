"""The generated enums <-> the domain's: one table each way, unknown wire values read as UNSPECIFIED."""

from __future__ import annotations

from bot.coralogix.pb import (
    incident_event_pb2,
    incident_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
    upsert_incident_state_pb2,
)
from bot.domain import (
    EventKind,
    GroupField,
    Severity,
    SortField,
    State,
    Status,
)

_PbSeverity = incident_severity_pb2.IncidentSeverity
_PbStatus = incident_status_pb2.IncidentStatus
_PbState = incident_state_pb2.IncidentState
_PbEventType = incident_event_pb2.IncidentEventType
_PbUpsertType = upsert_incident_state_pb2.UpsertIncidentStateType
_PbFields = incident_pb2.IncidentFields

SEVERITY_TO_PB: dict[Severity, _PbSeverity.ValueType] = {
    Severity.UNSPECIFIED: _PbSeverity.INCIDENT_SEVERITY_UNSPECIFIED,
    Severity.INFO: _PbSeverity.INCIDENT_SEVERITY_INFO,
    Severity.WARNING: _PbSeverity.INCIDENT_SEVERITY_WARNING,
    Severity.ERROR: _PbSeverity.INCIDENT_SEVERITY_ERROR,
    Severity.CRITICAL: _PbSeverity.INCIDENT_SEVERITY_CRITICAL,
    Severity.LOW: _PbSeverity.INCIDENT_SEVERITY_LOW,
}
SEVERITY_FROM_PB: dict[int, Severity] = {v: k for k, v in SEVERITY_TO_PB.items()}

STATUS_TO_PB: dict[Status, _PbStatus.ValueType] = {
    Status.UNSPECIFIED: _PbStatus.INCIDENT_STATUS_UNSPECIFIED,
    Status.TRIGGERED: _PbStatus.INCIDENT_STATUS_TRIGGERED,
    Status.ACKNOWLEDGED: _PbStatus.INCIDENT_STATUS_ACKNOWLEDGED,
    Status.RESOLVED: _PbStatus.INCIDENT_STATUS_RESOLVED,
}
STATUS_FROM_PB: dict[int, Status] = {v: k for k, v in STATUS_TO_PB.items()}

STATE_TO_PB: dict[State, _PbState.ValueType] = {
    State.UNSPECIFIED: _PbState.INCIDENT_STATE_UNSPECIFIED,
    State.TRIGGERED: _PbState.INCIDENT_STATE_TRIGGERED,
    State.RESOLVED: _PbState.INCIDENT_STATE_RESOLVED,
}
STATE_FROM_PB: dict[int, State] = {v: k for k, v in STATE_TO_PB.items()}

EVENT_KIND_TO_PB: dict[EventKind, _PbEventType.ValueType] = {
    EventKind.UNSPECIFIED: _PbEventType.INCIDENT_EVENT_TYPE_UNSPECIFIED,
    EventKind.UPSERT_STATE: _PbEventType.INCIDENT_EVENT_TYPE_UPSERT_STATE,
    EventKind.OPEN: _PbEventType.INCIDENT_EVENT_TYPE_OPEN,
    EventKind.CLOSE: _PbEventType.INCIDENT_EVENT_TYPE_CLOSE,
    EventKind.SNOOZE: _PbEventType.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR,
    EventKind.ASSIGN: _PbEventType.INCIDENT_EVENT_TYPE_ASSIGN,
    EventKind.ACKNOWLEDGE: _PbEventType.INCIDENT_EVENT_TYPE_ACKNOWLEDGE,
    EventKind.UNASSIGN: _PbEventType.INCIDENT_EVENT_TYPE_UNASSIGN,
}
EVENT_KIND_FROM_PB: dict[int, EventKind] = {v: k for k, v in EVENT_KIND_TO_PB.items()}

# The event kind implied by the payload, for servers that leave `incident_event_type` unset.
EVENT_KIND_FROM_PAYLOAD: dict[str | None, EventKind] = {
    "snooze_indicator": EventKind.SNOOZE,
    "assignment": EventKind.ASSIGN,
    "upsert_state": EventKind.UPSERT_STATE,
    "acknowledge": EventKind.ACKNOWLEDGE,
    "close": EventKind.CLOSE,
    "unassign": EventKind.UNASSIGN,
}

UPSERT_STATE_TO_PB: dict[State, _PbUpsertType.ValueType] = {
    State.TRIGGERED: _PbUpsertType.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED,
    State.RESOLVED: _PbUpsertType.UPSERT_INCIDENT_STATE_TYPE_RESOLVED,
}
UPSERT_STATE_FROM_PB: dict[int, State] = {v: k for k, v in UPSERT_STATE_TO_PB.items()}

SORT_FIELD_TO_PB: dict[SortField, _PbFields.ValueType] = {
    SortField.CREATED: _PbFields.INCIDENTS_FIELDS_CREATED_TIME,
    SortField.LAST_STATE_UPDATE: _PbFields.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
}

GROUP_FIELD_TO_PB: dict[GroupField, _PbFields.ValueType] = {
    GroupField.SEVERITY: _PbFields.INCIDENTS_FIELDS_SEVERITY,
    GroupField.STATUS: _PbFields.INCIDENTS_FIELDS_STATUS,
    GroupField.STATE: _PbFields.INCIDENTS_FIELDS_STATE,
    GroupField.APPLICATION: _PbFields.INCIDENTS_FIELDS_APPLICATION_NAME,
    GroupField.SUBSYSTEM: _PbFields.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
}

# The key an aggregation group gets for each member of IncidentFieldOneOf.field.
GROUP_KEY_NAMES: dict[str, str] = {
    "severity": GroupField.SEVERITY.value,
    "status": GroupField.STATUS.value,
    "state": GroupField.STATE.value,
    "application_name": GroupField.APPLICATION.value,
    "subsystem_name": GroupField.SUBSYSTEM.value,
}


def severity_from_pb(value: int) -> Severity:
    return SEVERITY_FROM_PB.get(value, Severity.UNSPECIFIED)


def severity_to_pb(value: Severity) -> _PbSeverity.ValueType:
    return SEVERITY_TO_PB[value]


def status_from_pb(value: int) -> Status:
    return STATUS_FROM_PB.get(value, Status.UNSPECIFIED)


def status_to_pb(value: Status) -> _PbStatus.ValueType:
    return STATUS_TO_PB[value]


def state_from_pb(value: int) -> State:
    return STATE_FROM_PB.get(value, State.UNSPECIFIED)


def state_to_pb(value: State) -> _PbState.ValueType:
    return STATE_TO_PB[value]


def event_kind_from_pb(value: int) -> EventKind:
    return EVENT_KIND_FROM_PB.get(value, EventKind.UNSPECIFIED)


def event_kind_to_pb(value: EventKind) -> _PbEventType.ValueType:
    """The wire type; UNSPECIFIED for the kinds only Cases has (`CASES_ONLY_EVENT_KINDS`)."""
    return EVENT_KIND_TO_PB.get(value, _PbEventType.INCIDENT_EVENT_TYPE_UNSPECIFIED)
