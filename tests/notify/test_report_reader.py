"""The report's reader: each incident's events read once per version, the rest from the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import EventKind, Incident, IncidentEvent, IncidentPage, State, Status
from bot.notify.report_reader import ReadCounts, ReportReader
from bot.reports.schedule import Period
from bot.store import Store

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


class FakeBackend:
    """Just the reads the reader makes; counts the events reads."""

    api = "cases"

    def __init__(self, incidents: list[Incident]) -> None:
        self.incidents = {incident.id: incident for incident in incidents}
        self.event_reads: Counter[str] = Counter()

    def iter_incidents(self, filter: Any = None, ordering: Any = None, **_: Any) -> Iterator[Incident]:
        for incident in self.incidents.values():
            created = incident.created_at
            assert created is not None
            if filter.created_after is not None and created < filter.created_after:
                continue
            if filter.created_before is not None and created >= filter.created_before:
                continue
            if filter.statuses and incident.status not in filter.statuses:
                continue
            yield incident

    def list_incidents(self, filter: Any = None, ordering: Any = None, **_: Any) -> IncidentPage:
        return IncidentPage(tuple(self.iter_incidents(filter)), None, None)

    def get_incident_events(self, incident_id: str, **_: Any) -> list[IncidentEvent]:
        self.event_reads[incident_id] += 1
        created = self.incidents[incident_id].created_at
        assert created is not None
        return [
            IncidentEvent(id="1", kind=EventKind.OPEN, at=created),
            IncidentEvent(id="2", kind=EventKind.ACKNOWLEDGE, at=created + timedelta(minutes=6)),
            IncidentEvent(
                id="3", kind=EventKind.UPSERT_STATE, state=State.RESOLVED, at=created + timedelta(minutes=30)
            ),
        ]


def incident(n: int, hours_ago: float) -> Incident:
    return Incident(
        id=f"inc-{n}",
        status=Status.RESOLVED,
        created_at=NOW - timedelta(hours=hours_ago),
        last_state_update_time=NOW - timedelta(hours=hours_ago) + timedelta(minutes=30),
    )


def test_events_are_read_once_per_version(store: Store) -> None:
    backend = FakeBackend([incident(n, hours_ago=n + 1) for n in range(20)])
    reader = ReportReader(client=backend, store=store, clock=lambda: NOW)  # type: ignore[arg-type]
    try:
        period = Period(NOW - timedelta(days=1), NOW)
        first = ReadCounts()
        report = reader.report(None, period, counts=first)
        assert (first.event_reads, first.cached) == (20, 0)
        assert report.responses.mtta.mean == timedelta(minutes=6)
        assert report.responses.mttr.mean == timedelta(minutes=30)
        second = ReadCounts()
        reader.report(None, period, counts=second)
        assert (second.event_reads, second.cached) == (0, 20)
        # one incident changed (its last state update moved): only its events are read again
        changed = backend.incidents["inc-3"]
        backend.incidents["inc-3"] = replace(changed, last_state_update_time=NOW)
        third = ReadCounts()
        reader.report(None, period, counts=third)
        assert (third.event_reads, third.cached) == (1, 19)
        assert backend.event_reads["inc-3"] == 2 and sum(backend.event_reads.values()) == 21
    finally:
        reader.close()


def test_warm_reads_what_changed_and_a_report_then_reads_nothing(store: Store) -> None:
    backend = FakeBackend([incident(n, hours_ago=n + 1) for n in range(5)])
    reader = ReportReader(client=backend, store=store, clock=lambda: NOW)  # type: ignore[arg-type]
    try:
        assert reader.warm().event_reads == 5
        assert reader.warm().event_reads == 0
        counts = ReadCounts()
        reader.report(None, Period(NOW - timedelta(days=1), NOW), counts=counts)
        assert counts.event_reads == 0
    finally:
        reader.close()
