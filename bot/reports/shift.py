"""What a shift report says, computed from incidents and their response times: pure, no I/O.

`build_shift_report` takes the incidents a route matches (those that started in the period or the one
before it, and every one still open) with their response times, and returns a `ShiftReport` the Block
Kit builder (`bot.slack.blocks.report`) draws.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import ALERT_NAME_LABEL, AggregationGroup, GroupField, Incident, Severity, Status
from bot.reports.response_times import ResponseSummary, ResponseTimes, started_within, summarize
from bot.reports.schedule import Period

NOISIEST = 5
OPEN_LISTED = 15


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident: Incident
    age: timedelta


@dataclass(frozen=True, slots=True)
class NoisyAlert:
    alert: str
    application: str | None
    count: int


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """One route's report of one period (`run` set for a scheduled run; `late` when posted late)."""

    route: str
    period: Period
    generated_at: datetime
    new_by_severity: Mapping[Severity, int]
    resolved_by_severity: Mapping[Severity, int]
    open_incidents: Sequence[OpenIncident]
    open_total: int
    responses: ResponseSummary
    previous: ResponseSummary
    noisiest: Sequence[NoisyAlert]
    run: datetime | None = None
    late: bool = False

    @property
    def new_total(self) -> int:
        return sum(self.new_by_severity.values())

    @property
    def resolved_total(self) -> int:
        return sum(self.resolved_by_severity.values())


def _by_severity(incidents: Iterable[Incident]) -> dict[Severity, int]:
    counts = Counter(incident.severity for incident in incidents)
    return dict(sorted(counts.items(), key=lambda item: -item[0].rank))


def noisiest_alerts(incidents: Iterable[Incident], limit: int = NOISIEST) -> list[NoisyAlert]:
    """The alerts (with their application) that opened the most incidents, most first, ties by name."""
    counts = Counter((incident.alert_name or incident.title, incident.application) for incident in incidents)
    return _ranked(counts, limit)


def noisiest_from_groups(
    groups: Iterable[AggregationGroup], limit: int = NOISIEST
) -> list[NoisyAlert] | None:
    """`noisiest_alerts` from Coralogix's counts per `alert_name` label, name and application
    (`incidents_per_alert`); None when a group has neither (such an incident goes by its id)."""
    counts: Counter[tuple[str, str | None]] = Counter()
    for group in groups:
        alert = group.key.get(ALERT_NAME_LABEL) or group.key.get("name")
        if not alert:
            return None
        counts[alert, group.key.get(GroupField.APPLICATION.value) or None] += group.total
    return _ranked(counts, limit)


def _ranked(counts: Counter[tuple[str, str | None]], limit: int) -> list[NoisyAlert]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or ""))
    return [NoisyAlert(alert, application, count) for (alert, application), count in ranked[:limit]]


def build_shift_report(
    route: str,
    period: Period,
    incidents: Iterable[Incident],
    times: Mapping[str, ResponseTimes],
    *,
    now: datetime,
    run: datetime | None = None,
    late: bool = False,
    noisiest: Sequence[NoisyAlert] | None = None,
) -> ShiftReport:
    """The report of `period`: an incident is new when it started in the period (its first trigger, else
    its creation), resolved when the resolve that ended its latest trigger fell in it. The noisiest
    alerts are counted over the new incidents unless Coralogix counted them (`noisiest`)."""
    previous = period.previous
    new: list[Incident] = []
    resolved: list[Incident] = []
    still_open: list[Incident] = []
    current: list[ResponseTimes] = []
    before: list[ResponseTimes] = []
    for incident in incidents:
        known = times.get(incident.id)
        started = known.started_at if known is not None else incident.created_at
        if started is not None and started in period:
            new.append(incident)
        if known is not None and known.resolved_at is not None and known.resolved_at in period:
            resolved.append(incident)
        if incident.is_open and incident.status is not Status.RESOLVED:
            still_open.append(incident)
        if known is not None:
            if started_within(known, period.start, period.end):
                current.append(known)
            elif started_within(known, previous.start, previous.end):
                before.append(known)
    still_open.sort(key=lambda incident: (-incident.severity.rank, incident.created_at or now))
    return ShiftReport(
        route=route,
        period=period,
        generated_at=now,
        new_by_severity=_by_severity(new),
        resolved_by_severity=_by_severity(resolved),
        open_incidents=[
            OpenIncident(incident, now - incident.created_at if incident.created_at else timedelta(0))
            for incident in still_open[:OPEN_LISTED]
        ],
        open_total=len(still_open),
        responses=summarize(current),
        previous=summarize(before),
        noisiest=noisiest if noisiest is not None else noisiest_alerts(new),
        run=run,
        late=late,
    )
