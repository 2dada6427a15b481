"""The simulator's case record, and how it and its events look on the wire (com.coralogixapis.cases.v1).

A case's lifecycle: CREATED (opened, its alert not yet firing) or ACTIVE (firing) -> acknowledged (a
status) -> RESOLVED (a state: by the system when the alert clears, or by a person) -> CLOSED (a status).
Status (OPEN, ACKNOWLEDGED, CLOSED) and state (CREATED, ACTIVE, RESOLVED) move separately, as in Coralogix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from bot.coralogix.pb.cases import alert_indicator_pb2, case_event_pb2, case_pb2, key_value_pb2
from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL
from bot.sandbox.coralogix.model import timestamp

PriorityValue: TypeAlias = case_pb2.CasePriority.ValueType
StatusValue: TypeAlias = case_pb2.CaseStatus.ValueType
StateValue: TypeAlias = case_pb2.CaseState.ValueType
CategoryValue: TypeAlias = case_pb2.CaseCategory.ValueType
ResolverValue: TypeAlias = case_pb2.ResolutionDetails.CaseResolver.ValueType

CaseStatus = case_pb2.CaseStatus
CaseState = case_pb2.CaseState
CasePriority = case_pb2.CasePriority
CaseCategory = case_pb2.CaseCategory
Resolver = case_pb2.ResolutionDetails.CaseResolver
CaseEvent = case_event_pb2.CaseEvent

# A severity (as the incidents simulator and its generator speak) -> the case priority it becomes.
SEVERITY_PRIORITY: dict[str, PriorityValue] = {
    "critical": CasePriority.CASE_PRIORITY_P1,
    "error": CasePriority.CASE_PRIORITY_P2,
    "warning": CasePriority.CASE_PRIORITY_P3,
    "info": CasePriority.CASE_PRIORITY_P4,
    "low": CasePriority.CASE_PRIORITY_P5,
}


def parse_priority(text: str) -> PriorityValue:
    """'P2', 'p2', 'CASE_PRIORITY_P2', or a severity name ('error' is P2)."""
    upper = str(text).strip().upper()
    if upper.lower() in SEVERITY_PRIORITY:
        return SEVERITY_PRIORITY[upper.lower()]
    full = upper if upper.startswith("CASE_PRIORITY_") else f"CASE_PRIORITY_{upper}"
    try:
        value = CasePriority.Value(full)
    except ValueError:
        value = CasePriority.CASE_PRIORITY_UNSPECIFIED
    if value == CasePriority.CASE_PRIORITY_UNSPECIFIED:
        raise ValueError(f"unknown priority {text!r}; use P1 (most urgent) to P5, or a severity name")
    return value


def parse_category(text: str) -> CategoryValue:
    """'availability' or 'security' (any case, with or without the CASE_CATEGORY_ prefix)."""
    upper = str(text).strip().upper()
    full = upper if upper.startswith("CASE_CATEGORY_") else f"CASE_CATEGORY_{upper}"
    try:
        value = CaseCategory.Value(full)
    except ValueError:
        value = CaseCategory.CASE_CATEGORY_UNSPECIFIED
    if value == CaseCategory.CASE_CATEGORY_UNSPECIFIED:
        raise ValueError(f"unknown category {text!r}; use availability or security")
    return value


def _pairs(items: list[tuple[str, str]]) -> list[key_value_pb2.KeyValue]:
    return [key_value_pb2.KeyValue(key=key, value=value) for key, value in items]


@dataclass(slots=True, eq=False)
class CaseRecord:
    """One case as the simulator keeps it; rendered to a fresh `Case` message on every read."""

    id: str
    readable_id: str
    title: str
    description: str | None
    status: StatusValue
    state: StateValue
    system_priority: PriorityValue
    category: CategoryValue
    create_time: datetime
    update_time: datetime
    alert_id: str
    alert_version_id: str
    trigger_time: datetime
    override_priority: PriorityValue | None = None
    acknowledge_time: datetime | None = None
    resolution: tuple[ResolverValue, datetime] | None = None
    alert_resolve_time: datetime | None = None
    assignee: str | None = None
    labels: list[tuple[str, str]] = field(default_factory=list)
    groupings: list[tuple[str, str]] = field(default_factory=list)
    history: list[CaseEvent] = field(default_factory=list)

    @property
    def priority(self) -> PriorityValue:
        """The priority in force: a person's override, else the system's."""
        return self.override_priority if self.override_priority is not None else self.system_priority

    def grouping(self, key: str) -> str | None:
        return next((value for k, value in self.groupings if k == key), None)

    def label(self, key: str) -> str | None:
        return next((value for k, value in self.labels if k == key), None)

    @property
    def application(self) -> str | None:
        return self.grouping(APPLICATION_LABEL)

    @property
    def subsystem(self) -> str | None:
        return self.grouping(SUBSYSTEM_LABEL)

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CASE_STATUS_CLOSED

    @property
    def is_resolved(self) -> bool:
        return self.state == CaseState.CASE_STATE_RESOLVED

    def priority_details(self) -> case_pb2.PriorityDetails:
        details = case_pb2.PriorityDetails(system=self.system_priority)
        if self.override_priority is not None:
            details.override = self.override_priority
        return details

    def render(self) -> case_pb2.Case:
        """A new `Case` message."""
        case = case_pb2.Case(
            id=self.id,
            title=self.title,
            state=self.state,
            status=self.status,
            priority=self.priority,
            category=self.category,
            create_time=timestamp(self.create_time),
            update_time=timestamp(self.update_time),
            labels=_pairs(self.labels),
            groupings=_pairs(self.groupings),
            priority_details=self.priority_details(),
            readable_id=self.readable_id,
        )
        if self.description:
            case.description = self.description
        if self.assignee is not None:
            case.assignee.user_id = self.assignee
        if self.acknowledge_time is not None:
            case.acknowledge_time.CopyFrom(timestamp(self.acknowledge_time))
        if self.resolution is not None:
            resolver, when = self.resolution
            case.resolution_details.resolved_by = resolver
            case.resolution_details.resolve_time.CopyFrom(timestamp(when))
        indicator = case.alert_indicators.add(
            alert_id=self.alert_id,
            alert_version_id=self.alert_version_id,
            priority=alert_indicator_pb2.AlertPriority.ValueType(int(self.system_priority)),
            grouping_type=alert_indicator_pb2.GROUPING_TYPE_NONE,
            groupings=_pairs(self.groupings),
            state=alert_indicator_pb2.ALERT_INDICATOR_STATE_RESOLVED
            if self.alert_resolve_time is not None
            else alert_indicator_pb2.ALERT_INDICATOR_STATE_TRIGGERED,
            trigger_time=timestamp(self.trigger_time),
        )
        if self.alert_resolve_time is not None:
            indicator.resolve_time.CopyFrom(timestamp(self.alert_resolve_time))
        return case


def new_case_event(event_id: str, at: datetime, by: str | None, **data: object) -> CaseEvent:
    """A CaseEvent whose actor is `by` (a user id), or the system when None, with one data field."""
    event = CaseEvent(event_id=event_id, create_time=timestamp(at), event_time=timestamp(at))
    if by is None:
        event.actor.system.SetInParent()
    else:
        event.actor.user.id = by
    for name, message in data.items():
        getattr(event.event_data, name).CopyFrom(message)
    return event


def status_changed(old: StatusValue, new: StatusValue) -> case_event_pb2.StatusChangedCaseEvent:
    return case_event_pb2.StatusChangedCaseEvent(old_status=old, new_status=new)


def resolved(previous_state: StateValue, reason: str | None) -> case_event_pb2.ResolvedCaseEvent:
    event = case_event_pb2.ResolvedCaseEvent(reason=reason)
    setattr(event, "from", previous_state)
    return event


def priority_changed(
    before: case_pb2.PriorityDetails, after: case_pb2.PriorityDetails
) -> case_event_pb2.PriorityDetailsChangedCaseEvent:
    event = case_event_pb2.PriorityDetailsChangedCaseEvent(to=after)
    getattr(event, "from").CopyFrom(before)
    return event
