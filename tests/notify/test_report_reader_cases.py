"""On Cases a report takes most response times from the cases themselves (acknowledge and resolve times),
reading events only where a case cannot tell; against the simulated CasesService over a real socket."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from bot.coralogix.backend import CoralogixBackend, make_backend
from bot.coralogix.channel import open_channel
from bot.domain import IncidentFilter
from bot.notify.report_reader import ReadCounts, ReportReader
from bot.reports.response_times import case_response_times, response_times
from bot.reports.schedule import Period
from bot.sandbox.coralogix import SimulatedCases, start_cases_sandbox
from bot.sandbox.coralogix.errors import SandboxError
from bot.store import Store
from tests.notify.clock import T0, Clock

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> SimulatedCases:
    return SimulatedCases(seed=5, clock=clock)


@pytest.fixture
def backend(sim: SimulatedCases) -> Iterator[CoralogixBackend]:
    running = start_cases_sandbox(sim)
    client = make_backend("cases", open_channel(running.address, insecure=True), "cx-team-key")
    yield client
    client.close_channel()
    running.stop()


def test_cases_answer_for_themselves_and_a_retrigger_keeps_the_cached_first_acknowledge(
    store: Store, clock: Clock, sim: SimulatedCases, backend: CoralogixBackend
) -> None:
    # a: opened 08:00, acknowledged 08:04, resolved 08:30, closed 08:35 (its own times tell: TTA 4, TTR 30)
    # b: opened 08:02, acknowledged 08:10, re-triggered 08:20 (which clears its acknowledge), acknowledged
    #    again 08:25, resolved 08:40: TTA 8 (the first), TTR 38; only its events tell the first acknowledge
    # c: opened 08:05, closed 08:50 unacknowledged: never acknowledged, TTR 45 (read: acknowledged or not?)
    # d: opened 08:06, still open and unacknowledged (its own times tell)
    ids: dict[str, str] = {}

    def create(name: str) -> None:
        ids[name] = sim.create_incident(name=name)

    steps: list[tuple[int, Callable[[], object]]] = [
        (0, lambda: create("a")),
        (2, lambda: create("b")),
        (4, lambda: sim.acknowledge(ids["a"], ALICE)),
        (5, lambda: create("c")),
        (6, lambda: create("d")),
        (10, lambda: sim.acknowledge(ids["b"], BOB)),
        (20, lambda: sim.retrigger(ids["b"])),
        (25, lambda: sim.acknowledge(ids["b"], BOB)),
        (30, lambda: sim.resolve(ids["a"], ALICE)),
        (35, lambda: sim.close(ids["a"], ALICE)),
        (40, lambda: sim.resolve(ids["b"], BOB)),
        (50, lambda: sim.close(ids["c"], BOB)),
        (60, lambda: None),
    ]
    for minute, act in steps:
        clock.at(minute)
        act()
    reader = ReportReader(client=backend, store=store, clock=clock)
    period = Period(T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    try:
        counts = ReadCounts()
        report = reader.report(None, period, counts=counts)
        # MTTA (4 + 8) / 2 = 6 min, 2 never acknowledged; MTTR (30 + 38 + 45) / 3 = 37 min 40 s, 1 open
        assert report.responses.mtta.mean == timedelta(minutes=6)
        assert report.responses.mtta.never == 2
        assert report.responses.mttr.mean == timedelta(minutes=37, seconds=40)
        assert report.responses.mttr.never == 1
        assert (counts.own, counts.event_reads) == (2, 2)
        assert len(sim.calls_to("ListEvents")) == 2

        # a reopens at 09:00 (its alert fires again), bob acknowledges 09:05 and resolves 09:10: TTA stays 4
        # (the first acknowledge, cached), TTR 70; MTTR (70 + 38 + 45) / 3 = 51 min; still no event read
        steps = [
            (60, lambda: sim.retrigger(ids["a"])),
            (65, lambda: sim.acknowledge(ids["a"], BOB)),
            (70, lambda: sim.resolve(ids["a"], BOB)),
        ]
        for minute, act in steps:
            clock.at(minute)
            act()
        again = ReadCounts()
        later = reader.report(None, period, counts=again)
        assert later.responses.mtta.mean == timedelta(minutes=6)
        assert later.responses.mttr.mean == timedelta(minutes=51)
        assert (again.own, again.cached, again.event_reads) == (1, 3, 0)
        assert len(sim.calls_to("ListEvents")) == 2
    finally:
        reader.close()


def test_a_cases_own_times_agree_with_its_events(
    clock: Clock, sim: SimulatedCases, backend: CoralogixBackend
) -> None:
    rng = random.Random(11)
    ids = [sim.create_case(title=f"case {n}", active=rng.random() < 0.8) for n in range(60)]
    acts = ("acknowledge", "assign", "resolve", "auto_resolve", "close", "retrigger", "activate", "comment")
    for step in range(300):
        clock.at(step + 1)
        case_id, act = rng.choice(ids), rng.choices(acts, weights=(4, 2, 2, 1, 2, 1, 2, 1))[0]
        try:
            if act == "acknowledge" or act == "resolve" or act == "close":
                getattr(sim, act)(case_id, rng.choice((ALICE, BOB)))
            elif act == "assign":
                sim.assign(case_id, rng.choice((ALICE, BOB)), ALICE)
            elif act == "comment":
                sim.comment(case_id, "looking", BOB)
            else:
                getattr(sim, act)(case_id)
        except SandboxError:
            continue  # not allowed in the case's state (e.g. acknowledging a closed case)
    answered = retriggered = 0
    for case in backend.iter_incidents(IncidentFilter(created_after=T0 - timedelta(days=1))):
        own = case_response_times(case)
        events = response_times(case, backend.get_incident_events(case.id))
        times = case.case_times
        assert times is not None and times.triggered_at is not None and case.created_at is not None
        if times.triggered_at > case.created_at:
            retriggered += 1
            assert own is None  # its first acknowledge may be gone: only its events tell
        if own is None:
            continue
        answered += 1
        assert (own.started_at, own.acknowledged_at, own.resolved_at) == (
            events.started_at,
            events.acknowledged_at,
            events.resolved_at,
        ), case.id
        assert not (own.ack_unknown or own.resolve_unknown or events.ack_unknown or events.resolve_unknown)
    assert answered >= 20 and retriggered >= 10  # both paths were exercised
