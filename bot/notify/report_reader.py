"""What a shift report reads from Coralogix: the incidents of a period, and their response times from their
events, read once per incident version and cached in the database.

A case mostly tells its response times itself (`case_response_times`; a re-triggered one needs the
first acknowledge an older version of it cached): no read. Any other incident's events are read again
only when it changed since they were read (its last state update moved); a closed incident never
changes, so its events are read once. The reads that are needed go out `workers` at a time (neither API
has a batch read of several incidents' events, and Incidents' ListIncidentEvents cannot say whose an
event is: its items carry no incident id). On Incidents, whose GetIncidentEvents has no times, the stale
incidents' event times come from one paged ListIncidentEvents scan (from the oldest stale creation on),
run beside those reads and matched to their events by event id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.coralogix.backend import CoralogixBackend, TimedEventSource
from bot.domain import OPEN_STATUSES, Incident, IncidentEvent, IncidentFilter, Ordering, SortField
from bot.notify.noisiest import counted_noisiest
from bot.reports.response_times import ResponseTimes, case_response_times, response_times
from bot.reports.schedule import Period
from bot.reports.shift import ShiftReport, build_shift_report
from bot.routing_file import Route, route_matches
from bot.store import Store
from bot.store.reports import CachedResponse

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
EVENT_READERS = 16
WARM_PAGE = 200
WARM_DAYS = 15
"""The warmer keeps the incidents of the last two report weeks (and a day) warm."""

ALL_ROUTES = "all incidents"


def version_of(incident: Incident) -> str:
    """What moves whenever the incident changes: its last state update (time and key)."""
    at = incident.last_state_update_time.isoformat() if incident.last_state_update_time else "-"
    return f"{at}|{incident.last_state_update_key or ''}|{int(incident.is_closed)}"


@dataclass
class ReadCounts:
    """How much one report read: incidents listed, events read from Coralogix, answers from the cache."""

    listed: int = 0
    event_reads: int = 0
    cached: int = 0
    failed: int = 0
    own: int = 0
    """Answered by the case itself (and its cached first acknowledge), with no read at all."""


def _to_row(incident: Incident, times: ResponseTimes) -> CachedResponse:
    return CachedResponse(
        incident_id=incident.id,
        version=version_of(incident),
        closed=incident.is_closed,
        started_at=times.started_at,
        acknowledged_at=times.acknowledged_at,
        acknowledged_by=times.acknowledged_by,
        resolved_at=times.resolved_at,
        retriggers=times.retriggers,
        ack_unknown=times.ack_unknown,
        resolve_unknown=times.resolve_unknown,
    )


def _stamped(events: list[IncidentEvent], stamps: Mapping[str, datetime]) -> list[IncidentEvent]:
    """The events with the times the scan found for those that carry none."""
    if not stamps:
        return events
    return [
        replace(event, at=stamps[event.id]) if event.at is None and event.id in stamps else event
        for event in events
    ]


def _from_row(row: CachedResponse) -> ResponseTimes:
    return ResponseTimes(
        incident_id=row.incident_id,
        started_at=row.started_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        resolved_at=row.resolved_at,
        retriggers=row.retriggers,
        ack_unknown=row.ack_unknown,
        resolve_unknown=row.resolve_unknown,
    )


class ReportReader:
    """Reads what reports need; thread-safe (the scheduled job and `/cx report` may read at once)."""

    def __init__(
        self,
        *,
        client: CoralogixBackend,
        store: Store,
        clock: Callable[[], datetime],
        workers: int = EVENT_READERS,
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report-events")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def incidents_for(self, since: datetime) -> Iterator[Incident]:
        """Every incident created at or after `since`, then every open one created before it."""
        seen: set[str] = set()
        for flt in (
            IncidentFilter(created_after=since),
            IncidentFilter(statuses=OPEN_STATUSES, created_before=since),
        ):
            for incident in self._client.iter_incidents(flt, page_size=PAGE_SIZE):
                if incident.id not in seen:
                    seen.add(incident.id)
                    yield incident

    def response_times(
        self, incidents: Sequence[Incident], counts: ReadCounts | None = None
    ) -> dict[str, ResponseTimes]:
        """Each incident's response times: from the cache where it has not changed since, else from the
        case itself where it can tell (Cases), else from its events."""
        counts = counts if counts is not None else ReadCounts()
        cached = self._store.cached_responses([incident.id for incident in incidents])
        found: dict[str, ResponseTimes] = {}
        fresh: list[CachedResponse] = []
        stale: list[Incident] = []
        for incident in incidents:
            row = cached.get(incident.id)
            if row is not None and row.version == version_of(incident):
                found[incident.id] = _from_row(row)
                counts.cached += 1
            elif (own := case_response_times(incident, _from_row(row) if row else None)) is not None:
                found[incident.id] = own
                fresh.append(_to_row(incident, own))
                counts.own += 1
            else:
                stale.append(incident)
        found.update(self._from_events(stale, fresh, counts))
        if fresh:
            self._store.save_responses(fresh, self._clock())
        return found

    def _from_events(
        self, stale: Sequence[Incident], fresh: list[CachedResponse], counts: ReadCounts
    ) -> dict[str, ResponseTimes]:
        """The response times of `stale` from their events (read now), adding the rows to cache to `fresh`."""
        found: dict[str, ResponseTimes] = {}
        if not stale:
            return found
        scan = self._pool.submit(self._event_times, stale)  # the times' scan runs beside the events' reads
        histories = list(self._pool.map(self._read_events, stale))
        stamps, complete = scan.result()
        for incident, events in zip(stale, histories, strict=True):
            counts.event_reads += 1
            if events is None:
                counts.failed += 1
                continue
            times = response_times(incident, _stamped(events, stamps))
            found[incident.id] = times
            if complete or not (times.ack_unknown or times.resolve_unknown):
                fresh.append(_to_row(incident, times))  # a time a cut-short scan missed is looked for again
        return found

    def warm(self, counts: ReadCounts | None = None) -> ReadCounts:
        """Read the events of the most recently changed incidents whose cached times are out of date (one
        page of them), so a scheduled report finds most of what it needs in the cache."""
        counts = counts if counts is not None else ReadCounts()
        since = self._clock() - timedelta(days=WARM_DAYS)
        page = self._client.list_incidents(
            IncidentFilter(created_after=since),
            Ordering(SortField.LAST_STATE_UPDATE, descending=True),
            page_size=WARM_PAGE,
        )
        counts.listed = len(page.incidents)
        self.response_times(page.incidents, counts)
        return counts

    def _event_times(self, incidents: Sequence[Incident]) -> tuple[dict[str, datetime], bool]:
        """When each event of these incidents happened, by event id, where the API can say (Incidents'
        ListIncidentEvents, one paged scan from the oldest creation on); empty when it cannot. The flag is
        False when the scan failed or was cut short (what it missed is then not cached)."""
        starts = [incident.created_at for incident in incidents if incident.created_at is not None]
        if not starts or not isinstance(self._client, TimedEventSource):
            return {}, True
        try:
            found = self._client.list_timed_events(min(starts))
        except Exception as exc:  # without the times the events' own (Cases) or the incident's are used
            log.warning("could not list the incidents' timed events: %s", exc)
            return {}, False
        if found is None:
            return {}, True
        if not found.complete:
            log.warning(
                "listed only the first %d timed incident events; the rest stay untimed", len(found.events)
            )
        return {event.id: event.at for event in found.events if event.at is not None}, found.complete

    def _read_events(self, incident: Incident) -> list[IncidentEvent] | None:
        try:
            return self._client.get_incident_events(incident.id)
        except Exception as exc:  # one unreadable history leaves that incident out, not the report
            log.warning("could not read the events of %s: %s", incident.id, exc)
            return None

    def report(
        self,
        route: Route | None,
        period: Period,
        *,
        run: datetime | None = None,
        late: bool = False,
        counts: ReadCounts | None = None,
    ) -> ShiftReport:
        """The report of `route` (None: every incident) for `period`, compared with the period before."""
        counts = counts if counts is not None else ReadCounts()
        now = self._clock()
        noisiest = self._pool.submit(counted_noisiest, self._client, route, period)  # beside the reads
        since = period.previous.start - timedelta(days=1)  # a start may precede the creation by a little
        incidents = [
            incident
            for incident in self.incidents_for(since)
            if route is None or route_matches(route.match, incident)
        ]
        counts.listed = len(incidents)
        relevant = [
            incident
            for incident in incidents
            if incident.is_open or (incident.created_at is not None and incident.created_at < period.end)
        ]
        times = self.response_times(relevant, counts)
        return build_shift_report(
            route.name if route is not None else ALL_ROUTES,
            period,
            relevant,
            times,
            now=now,
            run=run,
            late=late,
            noisiest=noisiest.result(),
        )
