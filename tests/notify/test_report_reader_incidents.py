"""On Incidents a report's response times come from ListIncidentEvents' event times (GetIncidentEvents
has none), against the simulated IncidentsService over a real socket."""

from __future__ import annotations

from datetime import timedelta

from bot.coralogix.backend import make_backend
from bot.coralogix.channel import open_channel
from bot.notify.report_reader import ReadCounts, ReportReader
from bot.reports.schedule import Period
from bot.sandbox.coralogix import SimulatedCoralogix, start_coralogix_sandbox
from bot.store import Store
from tests.notify.clock import T0, Clock


def test_incidents_mtta_comes_from_the_listed_event_times(store: Store) -> None:
    clock = Clock()
    sim = SimulatedCoralogix(seed=3, clock=clock)
    # a: opened 08:00, acknowledged 08:04, resolved 08:30;
    # b: opened 08:02, acknowledged 08:10, resolved 08:40.
    # Neither acknowledgement is an incident's first or latest event, so only the event times tell them.
    a = sim.create_incident(name="a", created_at=T0)
    clock.at(2)
    b = sim.create_incident(name="b", created_at=T0 + timedelta(minutes=2))
    clock.at(4)
    sim.acknowledge(a, "alice@example.com")
    clock.at(10)
    sim.acknowledge(b, "bob@example.com")
    clock.at(30)
    sim.resolve(a, "alice@example.com")
    clock.at(40)
    sim.resolve(b, "bob@example.com")
    clock.at(60)

    running = start_coralogix_sandbox(sim)
    client = make_backend("incidents", open_channel(running.address, insecure=True), "cx-team-key")
    reader = ReportReader(client=client, store=store, clock=clock)
    try:
        counts = ReadCounts()
        report = reader.report(None, Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1)), counts=counts)
        # hand-computed: TTA 4 and 8 minutes (mean 6); TTR 30 and 38 minutes (mean 34)
        assert report.responses.mtta.mean == timedelta(minutes=6)
        assert report.responses.mttr.mean == timedelta(minutes=34)
        assert counts.event_reads == 2
        assert len(sim.calls_to("ListIncidentEvents")) == 1
        # the cache keeps the times: nothing is read again, neither events nor their times
        again = ReadCounts()
        cached = reader.report(None, Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1)), counts=again)
        assert (again.event_reads, again.cached) == (0, 2)
        assert cached.responses.mtta.mean == timedelta(minutes=6)
        assert len(sim.calls_to("ListIncidentEvents")) == 1
    finally:
        reader.close()
        client.close_channel()
        running.stop()


def test_the_times_scan_runs_beside_the_event_reads(store: Store) -> None:
    clock = Clock()
    sim = SimulatedCoralogix(seed=4, clock=clock)
    for minute in range(3):
        clock.at(minute)
        sim.acknowledge(sim.create_incident(name=f"i{minute}"), "alice@example.com")
    clock.at(60)
    sim.faults.slow(0.5, "ListIncidentEvents")  # the scan's page is answered late

    running = start_coralogix_sandbox(sim)
    client = make_backend("incidents", open_channel(running.address, insecure=True), "cx-team-key")
    reader = ReportReader(client=client, store=store, clock=clock)
    try:
        report = reader.report(None, Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1)))
        assert report.responses.mtta.count == 3
        # the events were read while the scan waited for its page (calls are recorded as they end)
        order = [call.rpc for call in sim.calls if call.rpc.endswith("IncidentEvents")]
        assert order == ["GetIncidentEvents"] * 3 + ["ListIncidentEvents"]
    finally:
        reader.close()
        client.close_channel()
        running.stop()
