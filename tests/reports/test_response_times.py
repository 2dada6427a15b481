"""MTTA and MTTR from a known event history, against values computed by hand (in the comments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import CaseTimes, EventKind, Incident, IncidentEvent, Severity, State, Status
from bot.reports.response_times import (
    ResponseTimes,
    by_severity,
    case_response_times,
    response_times,
    summarize,
    summarize_by,
    timed_events,
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def ev(
    kind: EventKind, when: datetime | None, *, state: State | None = None, by: str | None = None
) -> IncidentEvent:
    return IncidentEvent(
        id=f"{kind}-{when}",
        kind=kind,
        at=when,
        state=state,
        actor=by,
        acknowledged_by=by if kind is EventKind.ACKNOWLEDGE else None,
    )


def opened(when: datetime | None) -> IncidentEvent:
    return ev(EventKind.OPEN, when)


def fired(when: datetime | None) -> IncidentEvent:
    return ev(EventKind.UPSERT_STATE, when, state=State.TRIGGERED)


def cleared(when: datetime | None, by: str | None = None) -> IncidentEvent:
    return ev(EventKind.UPSERT_STATE, when, state=State.RESOLVED, by=by)


def acked(when: datetime | None, by: str = "alice@example.com") -> IncidentEvent:
    return ev(EventKind.ACKNOWLEDGE, when, by=by)


def closed(when: datetime | None) -> IncidentEvent:
    return ev(EventKind.CLOSE, when, by="bob@example.com")


def incident(incident_id: str, severity: Severity = Severity.ERROR, **fields: object) -> Incident:
    return Incident(id=incident_id, severity=severity, created_at=fields.pop("created_at", None), **fields)  # type: ignore[arg-type]


# The hand-computed history: (incident, events, TTA, TTR)
A = incident("A", Severity.CRITICAL)
A_EVENTS = [
    opened(at(9)),
    ev(EventKind.ASSIGN, at(9, 2)),
    acked(at(9, 5)),
    cleared(at(9, 30), by="alice@example.com"),
]  # TTA 5 min, TTR 30 min
B = incident("B")
B_EVENTS = [
    opened(at(10)),
    acked(at(10, 10), by="bob@example.com"),
    cleared(at(10, 20)),
    fired(at(10, 40)),  # re-triggered after it was resolved
    cleared(at(11)),
]  # TTA 10 min (the first acknowledge after the first trigger); TTR 60 min (the resolve of the last firing)
C = incident("C")
C_EVENTS = [opened(at(12)), cleared(at(12, 15))]  # never acknowledged; TTR 15 min
D = incident("D", Severity.CRITICAL)
D_EVENTS = [opened(at(13))]  # never acknowledged, not resolved
E = incident("E", Severity.WARNING)
E_EVENTS = [
    opened(at(14)),
    fired(at(14, 3)),  # re-triggered before anyone acknowledged: the clock is not reset
    acked(at(14, 20)),
    closed(at(14, 50)),
]  # TTA 20 min, TTR 50 min
# IncidentsService: no event carries a time; the incident says when it opened, closed and last changed
F = incident("F", created_at=at(8), closed_at=at(8, 40), last_state_update_time=at(8, 40))
F_EVENTS = [opened(None), acked(None), closed(None)]  # TTA unknown; TTR 40 min (created_at to closed_at)

HISTORY = [(A, A_EVENTS), (B, B_EVENTS), (C, C_EVENTS), (D, D_EVENTS), (E, E_EVENTS), (F, F_EVENTS)]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_each_incident_matches_the_hand_computed_times() -> None:
    got = {inc.id: response_times(inc, events) for inc, events in HISTORY}
    assert (got["A"].time_to_acknowledge, got["A"].time_to_resolve) == (minutes(5), minutes(30))
    assert (got["B"].time_to_acknowledge, got["B"].time_to_resolve) == (minutes(10), minutes(60))
    assert got["B"].retriggers == 1 and got["B"].acknowledged_by == "bob@example.com"
    assert (got["C"].time_to_acknowledge, got["C"].time_to_resolve) == (None, minutes(15))
    assert got["C"].never_acknowledged
    assert (got["D"].time_to_acknowledge, got["D"].time_to_resolve) == (None, None)
    assert got["D"].never_acknowledged and not got["D"].resolve_unknown
    assert (got["E"].time_to_acknowledge, got["E"].time_to_resolve) == (minutes(20), minutes(50))
    assert got["E"].retriggers == 1
    assert got["F"].time_to_acknowledge is None and got["F"].ack_unknown and not got["F"].never_acknowledged
    assert got["F"].time_to_resolve == minutes(40)


def test_mtta_and_mttr_over_the_history() -> None:
    summary = summarize(response_times(inc, events) for inc, events in HISTORY)
    assert summary.incidents == 6
    # MTTA: (5 + 10 + 20) / 3; C and D never acknowledged; F acknowledged at an unknown time
    assert summary.mtta.mean == minutes(35) / 3
    assert (summary.mtta.count, summary.mtta.never, summary.mtta.unknown) == (3, 2, 1)
    # MTTR: (30 + 60 + 15 + 50 + 40) / 5 = 39 minutes; D not resolved
    assert summary.mttr.mean == minutes(39)
    assert (summary.mttr.count, summary.mttr.never, summary.mttr.unknown) == (5, 1, 0)
    assert summary.retriggered == 2


def test_by_severity() -> None:
    times = {inc.id: response_times(inc, events) for inc, events in HISTORY}
    groups = summarize_by([inc for inc, _ in HISTORY], times, by_severity)
    assert groups["critical"].mtta.mean == minutes(5)  # A; D never acknowledged
    assert groups["critical"].mtta.never == 1
    assert groups["error"].mttr.mean == minutes(115) / 3  # B 60, C 15, F 40
    assert groups["warning"].mtta.mean == minutes(20)


def test_a_resolve_before_a_later_trigger_does_not_count() -> None:
    inc = incident("G")
    times = response_times(inc, [opened(at(9)), cleared(at(9, 10)), fired(at(9, 30))])
    assert times.resolved_at is None and times.time_to_resolve is None and not times.resolve_unknown


def test_an_acknowledge_before_any_trigger_is_not_one() -> None:
    # a history without an opening event starts at the creation; an ack at an unknown time stays unknown
    inc = incident("H", created_at=at(7), last_state_update_time=at(7, 30))
    times = response_times(inc, [acked(None), ev(EventKind.ASSIGN, None)])
    assert times.started_at == at(7) and times.ack_unknown and times.acknowledged_at is None


def test_timed_events_fill_only_what_the_incident_vouches_for() -> None:
    inc = incident("F", created_at=at(8), closed_at=at(8, 40), last_state_update_time=at(8, 40))
    filled = timed_events(inc, [opened(None), acked(None), closed(None)])
    assert [event.at for event in filled] == [at(8), None, at(8, 40)]
    # timed events (Cases) are left as they are
    assert timed_events(A, A_EVENTS) == A_EVENTS


def case(
    state: State = State.TRIGGERED, status: Status = Status.TRIGGERED, **own: datetime | None
) -> Incident:
    """A case opened at 9:00 whose alert fired then (unless `triggered_at` says later)."""
    times = CaseTimes(**{"triggered_at": at(9), **own})
    return Incident(id="K", created_at=at(9), state=state, status=status, case_times=times)


def test_a_case_tells_its_times_where_they_are_sure() -> None:
    done = {"state": State.RESOLVED, "status": Status.RESOLVED}
    times = case_response_times(case(**done, acknowledged_at=at(9, 5), resolved_at=at(9, 30)))  # type: ignore[arg-type]
    assert times is not None
    assert (times.time_to_acknowledge, times.time_to_resolve) == (minutes(5), minutes(30))
    fresh = case_response_times(case())  # open, nobody acknowledged it yet
    assert fresh is not None and fresh.never_acknowledged and fresh.resolved_at is None
    # a re-triggered case: the first acknowledge from what an older version said (it stays the first)
    earlier = ResponseTimes("K", started_at=at(9), acknowledged_at=at(9, 5))
    again = case(**done, acknowledged_at=at(9, 45), resolved_at=at(9, 50), triggered_at=at(9, 40))  # type: ignore[arg-type]
    assert case_response_times(again) is None
    times = case_response_times(again, earlier)
    assert times is not None
    assert (times.time_to_acknowledge, times.time_to_resolve, times.retriggers) == (
        minutes(5),
        minutes(50),
        1,
    )


def test_a_case_that_cannot_be_sure_asks_for_its_events() -> None:
    assert case_response_times(incident("I", created_at=at(9))) is None  # not a case
    assert case_response_times(case(state=State.RESOLVED)) is None  # resolved, but when?
    assert case_response_times(case(resolved_at=at(9, 30))) is None  # a resolve time, but not resolved
    assert case_response_times(case(status=Status.ACKNOWLEDGED)) is None  # acknowledged, but when?
    assert case_response_times(case(status=Status.ACKNOWLEDGED, acknowledged_at=at(8, 59))) is None
    earlier = ResponseTimes("K", started_at=at(9), acknowledged_at=at(9, 5))
    stale = case(State.RESOLVED, resolved_at=at(9, 10), triggered_at=at(9, 20))  # resolved before the trigger
    assert case_response_times(stale, earlier) is None
