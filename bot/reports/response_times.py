"""Time to acknowledge and time to resolve, from an incident's events: pure functions, no I/O.

Definitions (the README says the same):

- **trigger**: the incident opening (`OPEN`) or its alert firing (`UPSERT_STATE` to triggered). The
  incident's **start** is its first trigger; a trigger after that is a **re-trigger**.
- **time to acknowledge** (TTA): from the start to the first `ACKNOWLEDGE` after it. Re-triggers do not
  reset it: whoever was paged has been waiting since the start. An incident with no acknowledge (still
  open, or resolved or closed without one) is **never acknowledged**: left out of MTTA, counted apart.
- **time to resolve** (TTR): from the start to the resolve that ended the *latest* trigger (the first
  `UPSERT_STATE` to resolved, by a person or by Coralogix, or `CLOSE`, after the latest trigger). A
  re-triggered incident was not resolved until its last firing was: the resolve of an earlier firing
  does not count. No resolve after the latest trigger: unresolved, left out of MTTR.
- an event whose time is unknown (IncidentsService's events carry none, see `timed_events`) makes the
  measure that needs it **unknown**: left out, and counted apart, never guessed.

MTTA and MTTR are the means of these over the incidents that *started* in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain import EventKind, Incident, IncidentEvent, State, Status

UNASSIGNED = "unassigned"


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """What one incident's history says about how fast people answered it (times in UTC)."""

    incident_id: str
    started_at: datetime | None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    retriggers: int = 0
    ack_unknown: bool = False
    """It was acknowledged, but when is not known."""
    resolve_unknown: bool = False
    """It was resolved after its latest trigger, but when (or when that trigger was) is not known."""

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        if self.started_at is None or self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.started_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.started_at is None or self.resolved_at is None:
            return None
        return self.resolved_at - self.started_at

    @property
    def never_acknowledged(self) -> bool:
        return self.acknowledged_at is None and not self.ack_unknown


def is_trigger(event: IncidentEvent) -> bool:
    return event.kind is EventKind.OPEN or (
        event.kind is EventKind.UPSERT_STATE and event.state is State.TRIGGERED
    )


def is_resolve(event: IncidentEvent) -> bool:
    return event.kind is EventKind.CLOSE or (
        event.kind is EventKind.UPSERT_STATE and event.state is State.RESOLVED
    )


def timed_events(incident: Incident, events: Sequence[IncidentEvent]) -> list[IncidentEvent]:
    """The events, oldest first, with the times the incident itself vouches for where an event has none.

    Cases events carry their time. IncidentsService's do not (GetIncidentEvents has no time field), so
    only what the incident says is filled in: its first trigger happened at `created_at`, its last close
    at `closed_at`, and its latest event at `last_state_update_time` (every change moves it). Any other
    event keeps no time, and what depends on it is unknown.
    """
    out = list(events)
    if not out or all(event.at is not None for event in out):
        return out
    first_trigger = next((i for i, event in enumerate(out) if is_trigger(event)), None)
    if first_trigger is not None and out[first_trigger].at is None and incident.created_at is not None:
        out[first_trigger] = replace(out[first_trigger], at=incident.created_at)
    last_close = next((i for i in range(len(out) - 1, -1, -1) if out[i].kind is EventKind.CLOSE), None)
    if last_close is not None and out[last_close].at is None and incident.closed_at is not None:
        out[last_close] = replace(out[last_close], at=incident.closed_at)
    if out[-1].at is None and incident.last_state_update_time is not None:
        out[-1] = replace(out[-1], at=incident.last_state_update_time)
    return out


def response_times(incident: Incident, events: Sequence[IncidentEvent]) -> ResponseTimes:
    """TTA and TTR of one incident from its events in the order Coralogix gives them (oldest first)."""
    history = timed_events(incident, events)
    triggers = [i for i, event in enumerate(history) if is_trigger(event)]
    if not triggers:
        # an incident always starts triggered; a history without the opening starts at its creation
        start_index = -1
        started_at = incident.created_at
    else:
        start_index = triggers[0]
        started_at = history[start_index].at
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_unknown = False
    for event in history[start_index + 1 :]:
        if event.kind is EventKind.ACKNOWLEDGE:
            acknowledged_at = event.at
            acknowledged_by = event.acknowledged_by or event.who
            ack_unknown = event.at is None
            break
    latest_trigger = triggers[-1] if triggers else -1
    resolved_at: datetime | None = None
    resolve_unknown = False
    for event in history[latest_trigger + 1 :]:
        if is_resolve(event):
            resolved_at = event.at
            resolve_unknown = event.at is None
            break
    if started_at is None:
        ack_unknown = ack_unknown or acknowledged_at is not None
        resolve_unknown = resolve_unknown or resolved_at is not None
        acknowledged_at = resolved_at = None
    return ResponseTimes(
        incident_id=incident.id,
        started_at=started_at,
        acknowledged_at=acknowledged_at,
        acknowledged_by=acknowledged_by,
        resolved_at=resolved_at,
        retriggers=max(len(triggers) - 1, 0),
        ack_unknown=ack_unknown,
        resolve_unknown=resolve_unknown,
    )


def case_response_times(incident: Incident, earlier: ResponseTimes | None = None) -> ResponseTimes | None:
    """TTA and TTR from the case's own times (and `earlier`, what an older version of it said), where
    they are sure to be what its events would say; None where only the events can tell.

    A case starts at its creation. Its `resolve_time` is the resolve after its latest trigger (a
    re-trigger clears it). Its `acknowledge_time` is its first acknowledge only while no alert fired
    after it opened (a re-trigger that reopens it clears it): for a re-triggered case the first
    acknowledge must come from `earlier` (a first acknowledge, once made, never changes). An acknowledged
    or resolved case without the time to show for it needs its events too. Who acknowledged is not kept
    (the case does not say; no report uses it), and `retriggers` is 1 for a re-triggered case (how many
    times, only its events tell).
    """
    own, started = incident.case_times, incident.created_at
    if own is None or started is None or own.triggered_at is None:
        return None
    retriggered = own.triggered_at > started
    known = earlier is not None and earlier.started_at == started and earlier.acknowledged_at is not None
    acked = earlier.acknowledged_at if known and earlier is not None else own.acknowledged_at
    if retriggered and not known:
        return None
    if acked is None and incident.status is not Status.TRIGGERED:
        return None
    resolved, over = own.resolved_at, incident.state is State.RESOLVED or incident.is_closed
    if (resolved is None) == over or (resolved is not None and resolved < own.triggered_at):
        return None
    if acked is not None and acked < started:
        return None
    return ResponseTimes(
        incident.id,
        started_at=started,
        acknowledged_at=acked,
        resolved_at=resolved,
        retriggers=int(retriggered),
    )


@dataclass(frozen=True, slots=True)
class Measure:
    """A mean over the incidents it could be measured on, and how many it could not."""

    count: int = 0
    total: timedelta = timedelta(0)
    never: int = 0
    """Incidents never acknowledged (MTTA) or not resolved yet (MTTR)."""
    unknown: int = 0

    @property
    def mean(self) -> timedelta | None:
        return self.total / self.count if self.count else None

    def add(self, value: timedelta | None, *, never: bool, unknown: bool) -> Measure:
        if value is not None:
            return replace(self, count=self.count + 1, total=self.total + value)
        if unknown:
            return replace(self, unknown=self.unknown + 1)
        return replace(self, never=self.never + 1) if never else self


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """MTTA and MTTR of a set of incidents."""

    incidents: int = 0
    mtta: Measure = Measure()
    mttr: Measure = Measure()
    retriggered: int = 0

    def add(self, times: ResponseTimes) -> ResponseSummary:
        return ResponseSummary(
            incidents=self.incidents + 1,
            mtta=self.mtta.add(
                times.time_to_acknowledge, never=times.never_acknowledged, unknown=times.ack_unknown
            ),
            mttr=self.mttr.add(
                times.time_to_resolve,
                never=times.resolved_at is None and not times.resolve_unknown,
                unknown=times.resolve_unknown,
            ),
            retriggered=self.retriggered + (1 if times.retriggers else 0),
        )


def started_within(times: ResponseTimes, start: datetime, end: datetime) -> bool:
    return times.started_at is not None and start <= times.started_at < end


def summarize(items: Iterable[ResponseTimes]) -> ResponseSummary:
    summary = ResponseSummary()
    for times in items:
        summary = summary.add(times)
    return summary


GroupKeys = Callable[[Incident], Iterable[str]]
"""The groups an incident counts in (a route report: the routes it matches; usually one key)."""


def by_severity(incident: Incident) -> Iterable[str]:
    return (incident.severity.value,)


def by_application(incident: Incident) -> Iterable[str]:
    return (incident.application or "(no application)",)


def by_assignee(incident: Incident) -> Iterable[str]:
    """The incident's assignee now (Coralogix keeps the current one), else "unassigned"."""
    return (incident.assignee or UNASSIGNED,)


def summarize_by(
    incidents: Iterable[Incident], times: Mapping[str, ResponseTimes], keys: GroupKeys
) -> dict[str, ResponseSummary]:
    """One summary per group, over the incidents that have response times."""
    groups: defaultdict[str, ResponseSummary] = defaultdict(ResponseSummary)
    for incident in incidents:
        known = times.get(incident.id)
        if known is None:
            continue
        for key in keys(incident):
            groups[key] = groups[key].add(known)
    return dict(groups)
