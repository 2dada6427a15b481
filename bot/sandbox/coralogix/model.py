"""The simulator's incident record, and how it and its history look on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

from google.protobuf import duration_pb2, timestamp_pb2, wrappers_pb2

from bot.coralogix.pb import (
    assignee_pb2,
    incident_event_pb2,
    incident_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
    meta_label_pb2,
    upsert_incident_state_pb2,
)
from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL

SeverityValue: TypeAlias = incident_severity_pb2.IncidentSeverity.ValueType
StatusValue: TypeAlias = incident_status_pb2.IncidentStatus.ValueType
StateValue: TypeAlias = incident_state_pb2.IncidentState.ValueType
EventType: TypeAlias = incident_event_pb2.IncidentEventType.ValueType
UpsertType: TypeAlias = upsert_incident_state_pb2.UpsertIncidentStateType.ValueType

Sev = incident_severity_pb2.IncidentSeverity
Status = incident_status_pb2.IncidentStatus
State = incident_state_pb2.IncidentState
EvType = incident_event_pb2.IncidentEventType
Upsert = upsert_incident_state_pb2.UpsertIncidentStateType

ALERTS_SYSTEM = "coralogix-alerts"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Least to most urgent, so that ordering by severity means something.
SEVERITY_RANK: dict[int, int] = {
    Sev.INCIDENT_SEVERITY_UNSPECIFIED: 0,
    Sev.INCIDENT_SEVERITY_LOW: 1,
    Sev.INCIDENT_SEVERITY_INFO: 2,
    Sev.INCIDENT_SEVERITY_WARNING: 3,
    Sev.INCIDENT_SEVERITY_ERROR: 4,
    Sev.INCIDENT_SEVERITY_CRITICAL: 5,
}


def parse_severity(name: str) -> SeverityValue:
    """'error', 'ERROR' or 'INCIDENT_SEVERITY_ERROR' (a `bot.domain.Severity` works too)."""
    upper = str(name).strip().upper()
    full = upper if upper.startswith("INCIDENT_SEVERITY_") else f"INCIDENT_SEVERITY_{upper}"
    try:
        return Sev.Value(full)
    except ValueError:
        known = ", ".join(n.removeprefix("INCIDENT_SEVERITY_").lower() for n in Sev.keys()[1:])
        raise ValueError(f"unknown severity {name!r}; use one of {known}") from None


def severity_title(value: SeverityValue) -> str:
    """'Error' for INCIDENT_SEVERITY_ERROR: how Coralogix writes it in the alert_severity label."""
    return Sev.Name(value).removeprefix("INCIDENT_SEVERITY_").title()


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_micros(moment: datetime) -> int:
    return (as_utc(moment) - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    seconds, micros = divmod(to_micros(moment), 1_000_000)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=micros * 1000)


def from_timestamp(stamp: timestamp_pb2.Timestamp) -> datetime:
    return from_micros(stamp.seconds * 1_000_000 + stamp.nanos // 1000)


def _text(value: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=value)


def user_details(user_id: str) -> assignee_pb2.UserDetails:
    return assignee_pb2.UserDetails(user_id=_text(user_id))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: a person (administrative) or Coralogix itself (operational)."""

    user_id: str | None = None
    system_name: str = ALERTS_SYSTEM

    @classmethod
    def person(cls, user_id: str) -> Actor:
        return cls(user_id=user_id)

    @classmethod
    def system(cls, system_name: str = ALERTS_SYSTEM) -> Actor:
        return cls(user_id=None, system_name=system_name)

    @classmethod
    def of(cls, user_id: str | None) -> Actor:
        """A person when `user_id` is given, else the alerting system."""
        return cls.system() if user_id is None else cls.person(user_id)

    @property
    def who(self) -> str:
        return self.user_id or self.system_name


@dataclass(slots=True, eq=False)
class IncidentRecord:
    """One incident as the simulator keeps it; rendered to a fresh `Incident` message on every read."""

    id: str
    name: str | None
    severity: SeverityValue
    status: StatusValue
    state: StateValue
    description: str | None
    created_at: datetime
    last_state_update_time: datetime
    last_state_update_key: str
    is_muted: bool = False
    closed_at: datetime | None = None
    contextual_labels: dict[str, str] = field(default_factory=dict)
    display_labels: dict[str, str] = field(default_factory=dict)
    meta_labels: list[tuple[str, str]] = field(default_factory=list)
    assignment: tuple[str, str] | None = None  # (assigned_to, assigned_by)
    history: list[incident_event_pb2.IncidentEvent] = field(default_factory=list)

    def label(self, key: str) -> str | None:
        """A display label, else a contextual label, of that key."""
        value = self.display_labels.get(key)
        return value if value is not None else self.contextual_labels.get(key)

    @property
    def application(self) -> str | None:
        return self.label(APPLICATION_LABEL)

    @property
    def subsystem(self) -> str | None:
        return self.label(SUBSYSTEM_LABEL)

    @property
    def assignee(self) -> str | None:
        return self.assignment[0] if self.assignment else None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def duration(self, now: datetime) -> timedelta:
        """How long it has been (or was) open."""
        end = self.closed_at or now
        return max(timedelta(0), as_utc(end) - as_utc(self.created_at))

    def render(self, now: datetime) -> incident_pb2.Incident:
        """A new `Incident` message; `events` stays empty, as the real list/get answers leave it."""
        incident = incident_pb2.Incident(
            id=_text(self.id),
            state=self.state,
            status=self.status,
            severity=self.severity,
            created_at=timestamp(self.created_at),
            last_state_update_time=timestamp(self.last_state_update_time),
            last_state_update_key=_text(self.last_state_update_key),
            is_muted=wrappers_pb2.BoolValue(value=self.is_muted),
            duration=duration_pb2.Duration(seconds=int(self.duration(now).total_seconds())),
        )
        if self.name:
            incident.name.value = self.name
        if self.description:
            incident.description.value = self.description
        if self.closed_at is not None:
            incident.closed_at.CopyFrom(timestamp(self.closed_at))
        incident.contextual_labels.update(self.contextual_labels)
        incident.display_labels.update(self.display_labels)
        incident.meta_labels.extend(
            meta_label_pb2.MetaLabel(key=_text(key), value=_text(value)) for key, value in self.meta_labels
        )
        if self.assignment is not None:
            assigned_to, assigned_by = self.assignment
            incident.assignments.add(
                assigned_to=user_details(assigned_to), assigned_by=user_details(assigned_by)
            )
        return incident


def new_event(
    event_id: str, event_type: EventType, actor: Actor, **payload: object
) -> incident_event_pb2.IncidentEvent:
    """An `IncidentEvent` with the originator set from `actor` and one payload field (keyword)."""
    event = incident_event_pb2.IncidentEvent(id=_text(event_id), incident_event_type=event_type)
    if actor.user_id is not None:
        event.originator_type = incident_event_pb2.ORIGINATOR_TYPE_ADMINISTRATIVE
        event.administrative_event.user_id.value = actor.user_id
    else:
        event.originator_type = incident_event_pb2.ORIGINATOR_TYPE_OPERATIONAL
        event.operational_event.system_name.value = actor.system_name
    for name, message in payload.items():
        getattr(event, name).CopyFrom(message)
    return event


def upsert_state_payload(
    state_type: UpsertType, is_muted: bool, cx_event_key: str | None = None
) -> incident_event_pb2.IncidentEventUpsertState:
    payload = incident_event_pb2.IncidentEventUpsertState(
        state_type=state_type, is_muted=wrappers_pb2.BoolValue(value=is_muted)
    )
    if cx_event_key is not None:
        payload.payload.cx_event_key.value = cx_event_key
    return payload


def upsert_type_of(state: StateValue) -> UpsertType:
    return (
        Upsert.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
        if state == State.INCIDENT_STATE_RESOLVED
        else (Upsert.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED)
    )


def acknowledge_payload(user_id: str) -> incident_event_pb2.IncidentEventAcknowledge:
    return incident_event_pb2.IncidentEventAcknowledge(acknowledged_by=user_details(user_id))


def close_payload(user_id: str) -> incident_event_pb2.IncidentEventClose:
    return incident_event_pb2.IncidentEventClose(closed_by=user_details(user_id))


def assign_payload(assigned_to: str, assigned_by: str) -> incident_event_pb2.IncidentEventAssign:
    assignment = assignee_pb2.Assignment(
        assigned_to=user_details(assigned_to), assigned_by=user_details(assigned_by)
    )
    return incident_event_pb2.IncidentEventAssign(assignment=assignment)


def unassign_payload() -> incident_event_pb2.IncidentEventUnassign:
    return incident_event_pb2.IncidentEventUnassign()
