"""The bot's own view of Coralogix incidents and of what people ask it to do: plain frozen dataclasses
and enums, with the rules every layer shares (which statuses are open, the status people see, how short
an id prefix may be).

Nothing here knows about protobuf, gRPC or Slack; `bot.coralogix.convert` maps the wire messages
to and from these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

APPLICATION_LABEL = "coralogix.metadata.applicationName"
SUBSYSTEM_LABEL = "coralogix.metadata.subsystemName"
ALERT_NAME_LABEL = "alert_name"
ALERT_ID_LABEL = "alert_id"


class Severity(StrEnum):
    UNSPECIFIED = "unspecified"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher is more urgent; used for sorting and storm rules."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.UNSPECIFIED: 0,
    Severity.LOW: 1,
    Severity.INFO: 2,
    Severity.WARNING: 3,
    Severity.ERROR: 4,
    Severity.CRITICAL: 5,
}


class Status(StrEnum):
    """The human workflow of an incident (Coralogix `IncidentStatus`)."""

    UNSPECIFIED = "unspecified"
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


OPEN_STATUSES: Final = (Status.TRIGGERED, Status.ACKNOWLEDGED)
"""The statuses of an incident someone still has to act on (what `/cx list` shows by default)."""

CLOSED: Final = "closed"
"""The display status of a closed incident (closing is not a Coralogix status of its own)."""

MIN_PREFIX: Final = 8
"""An incident may be named by a unique prefix of its id of at least this many characters."""


class State(StrEnum):
    """Whether the alert condition still holds (Coralogix `IncidentState`)."""

    UNSPECIFIED = "unspecified"
    TRIGGERED = "triggered"
    RESOLVED = "resolved"


class EventKind(StrEnum):
    UNSPECIFIED = "unspecified"
    UPSERT_STATE = "upsert_state"
    OPEN = "open"
    CLOSE = "close"
    SNOOZE = "snooze"
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    UNASSIGN = "unassign"
    COMMENT = "comment"
    """A person's comment (Cases only); the words are in `IncidentEvent.text`."""
    PRIORITY = "priority"
    """The priority changed (Cases only); the new one is in `IncidentEvent.priority`."""
    NOTIFICATION = "notification"
    """Coralogix sent (or failed to send) notifications (Cases only); a failure's error is in `text`."""


CASES_ONLY_EVENT_KINDS: frozenset[EventKind] = frozenset(
    {EventKind.COMMENT, EventKind.PRIORITY, EventKind.NOTIFICATION}
)
"""Kinds only Cases events have; IncidentsService's event types cover the others."""


class GroupField(StrEnum):
    """What `stats by=` can group on."""

    SEVERITY = "severity"
    STATUS = "status"
    STATE = "state"
    APPLICATION = "app"
    SUBSYSTEM = "subsystem"
    ASSIGNEE = "assignee"


class SortField(StrEnum):
    CREATED = "created"
    LAST_STATE_UPDATE = "last_state_update"


@dataclass(frozen=True, slots=True)
class Assignment:
    assigned_to: str | None
    assigned_by: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One entry of an incident's history; `actor` is the administrative user who caused it."""

    id: str
    kind: EventKind
    actor: str | None = None
    system: str | None = None
    assigned_to: str | None = None
    assigned_by: str | None = None
    acknowledged_by: str | None = None
    closed_by: str | None = None
    state: State | None = None
    is_muted: bool | None = None
    snooze_start: datetime | None = None
    snooze_minutes: int | None = None
    text: str | None = None
    """A comment's words (COMMENT) or a failed notification's error (NOTIFICATION); Cases only."""
    priority: str | None = None
    """The case priority after the event, "P1" (most urgent) to "P5" (PRIORITY and OPEN); Cases only."""
    at: datetime | None = None
    """When it happened (Cases events carry a time; Incidents events do not)."""

    @property
    def who(self) -> str | None:
        """The user the event is credited to, whichever payload carries it."""
        return self.actor or self.acknowledged_by or self.closed_by or self.assigned_by


@dataclass(frozen=True, slots=True)
class CaseTimes:
    """What a case says of how it was answered (Cases only: an Incidents incident has no such times)."""

    acknowledged_at: datetime | None = None
    """`acknowledge_time`; a re-trigger that reopens the case clears it."""
    resolved_at: datetime | None = None
    """`resolution_details.resolve_time`: its resolve since its latest trigger (a re-trigger clears it)."""
    triggered_at: datetime | None = None
    """The newest `trigger_time` of its alert indicators: after its creation when an alert fired again."""


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    name: str = ""
    severity: Severity = Severity.UNSPECIFIED
    status: Status = Status.UNSPECIFIED
    state: State = State.UNSPECIFIED
    description: str = ""
    created_at: datetime | None = None
    closed_at: datetime | None = None
    last_state_update_time: datetime | None = None
    last_state_update_key: str | None = None
    is_muted: bool = False
    duration: timedelta | None = None
    assignments: tuple[Assignment, ...] = ()
    contextual_labels: Mapping[str, str] = field(default_factory=dict)
    display_labels: Mapping[str, str] = field(default_factory=dict)
    meta_labels: tuple[tuple[str, str], ...] = ()
    events: tuple[IncidentEvent, ...] = ()
    priority: str | None = None
    """Cases only: "P1" (most urgent) to "P5"; `severity` is derived from it (P1 critical … P5 low)."""
    category: str | None = None
    """Cases only: "security" or "availability"."""
    readable_id: str | None = None
    """Cases only: the short id people see in Coralogix (e.g. "CASE-42"); `id` stays the one to call with."""
    case_times: CaseTimes | None = None
    """Cases only: the case's own acknowledge, resolve and latest trigger times."""

    def label(self, key: str) -> str | None:
        """A label by key, looked up in display, then contextual, then meta labels."""
        if key in self.display_labels:
            return self.display_labels[key]
        if key in self.contextual_labels:
            return self.contextual_labels[key]
        for meta_key, value in self.meta_labels:
            if meta_key == key:
                return value
        return None

    @property
    def application(self) -> str | None:
        return self.label(APPLICATION_LABEL)

    @property
    def subsystem(self) -> str | None:
        return self.label(SUBSYSTEM_LABEL)

    @property
    def alert_name(self) -> str | None:
        return self.contextual_labels.get(ALERT_NAME_LABEL) or self.name or None

    @property
    def assignee(self) -> str | None:
        """The current assignee (Coralogix keeps a list; the last entry is the current one)."""
        for assignment in reversed(self.assignments):
            if assignment.assigned_to:
                return assignment.assigned_to
        return None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_open(self) -> bool:
        return not self.is_closed

    @property
    def title(self) -> str:
        return self.name or self.alert_name or self.id

    @property
    def display_status(self) -> str:
        """The status people see (cards, button values, metadata): "closed" once closed, else the status."""
        return CLOSED if self.is_closed else self.status.value


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """A query over incidents; empty tuples and None mean "any"."""

    statuses: tuple[Status, ...] = ()
    states: tuple[State, ...] = ()
    severities: tuple[Severity, ...] = ()
    applications: tuple[str, ...] = ()
    subsystems: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    muted: bool | None = None
    id_search: str | None = None
    """Only incidents whose id contains this text (Coralogix's search on the id field)."""


@dataclass(frozen=True, slots=True)
class Ordering:
    field: SortField = SortField.CREATED
    descending: bool = True


@dataclass(frozen=True, slots=True)
class IncidentPage:
    incidents: tuple[Incident, ...]
    next_page_token: str | None
    total_size: int | None


@dataclass(frozen=True, slots=True)
class BatchResult:
    found: Mapping[str, Incident]
    not_found: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AggregationGroup:
    """One group of ListIncidentAggregations: the group's key and the counts inside it."""

    key: Mapping[str, str]
    total: int
    by_severity: Mapping[Severity, int] = field(default_factory=dict)
    by_status: Mapping[Status, int] = field(default_factory=dict)
    by_state: Mapping[State, int] = field(default_factory=dict)
    by_assignee: Mapping[str, int] = field(default_factory=dict)
    incident_ids: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------------
# What people ask the bot to do


class Action(StrEnum):
    """What a person can do to an incident from Slack, and what `permissions` can restrict."""

    ACK = "ack"
    RESOLVE = "resolve"
    CLOSE = "close"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


@dataclass(frozen=True)
class Me:
    """The person acting, as the assignee."""


@dataclass(frozen=True)
class SlackUserTarget:
    """An assignee named by their Slack user id; the bot finds their Coralogix user."""

    user_id: str


@dataclass(frozen=True)
class CoralogixUserTarget:
    """An assignee named by the id Coralogix knows (an e-mail address)."""

    user_id: str


AssignTarget = Me | SlackUserTarget | CoralogixUserTarget
