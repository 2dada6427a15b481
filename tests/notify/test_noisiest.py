"""A report's noisiest alerts come from ListIncidentAggregations where a route's match is a filter Coralogix
can run, else from counting the listed incidents; against the simulated services over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from bot.coralogix.backend import make_backend
from bot.coralogix.channel import open_channel
from bot.domain import AggregationGroup
from bot.notify.report_reader import ReportReader
from bot.reports.schedule import Period
from bot.reports.shift import NoisyAlert, noisiest_from_groups
from bot.routing_file import Route, RouteMatch
from bot.sandbox.coralogix import (
    SimulatedCases,
    SimulatedCoralogix,
    start_cases_sandbox,
    start_coralogix_sandbox,
)
from bot.store import Store

T0 = datetime(2026, 12, 7, 8, tzinfo=UTC)
PERIOD = Period(T0, T0 + timedelta(hours=1))
# (minutes after T0, alert, application, severity): the period opened disk full 3 times, checkout 5xx twice
# (once as a warning), slow cart once; the disk full of the hour before and the slow cart at its end
# (the period ends before it) are not the period's
OPENED = [
    (-30, "disk full", "infra", "warning"),
    (1, "disk full", "infra", "warning"),
    (2, "checkout 5xx", "shop", "critical"),
    (3, "disk full", "infra", "warning"),
    (4, "slow cart", "shop", "warning"),
    (5, "checkout 5xx", "shop", "warning"),
    (6, "disk full", "infra", "critical"),
    (60, "slow cart", "shop", "warning"),
]
EVERY = [
    NoisyAlert("disk full", "infra", 3),
    NoisyAlert("checkout 5xx", "shop", 2),
    NoisyAlert("slow cart", "shop", 1),
]


class Clock:
    def __init__(self) -> None:
        self.now = T0 - timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now


def fill(sim: SimulatedCoralogix | SimulatedCases, clock: Clock) -> None:
    for minute, alert, app, severity in OPENED:
        clock.now = T0 + timedelta(minutes=minute)
        sim.create_incident(name=alert, alert_name=alert, application=app, severity=severity)
    clock.now = T0 + timedelta(hours=1)


@pytest.fixture
def incidents(store: Store) -> Iterator[tuple[SimulatedCoralogix, ReportReader]]:
    clock = Clock()
    sim = SimulatedCoralogix(seed=2, clock=clock)
    fill(sim, clock)
    running = start_coralogix_sandbox(sim)
    client = make_backend("incidents", open_channel(running.address, insecure=True), "cx-team-key")
    reader = ReportReader(client=client, store=store, clock=clock)
    yield sim, reader
    reader.close()
    client.close_channel()
    running.stop()


def route(**match: object) -> Route:
    return Route(name="r", channels=["C0PAYMENTS"], match=RouteMatch.model_validate(match))


def test_coralogix_counts_the_noisiest(incidents: tuple[SimulatedCoralogix, ReportReader]) -> None:
    sim, reader = incidents
    assert reader.report(None, PERIOD).noisiest == EVERY
    [call] = sim.calls_to("ListIncidentAggregations")
    assert call.request.filter.created_at_range.start_time.ToDatetime(UTC) == PERIOD.start
    # a route's severities and applications are the rpc's filter
    shop = reader.report(route(application="shop", severity=["critical"]), PERIOD)
    assert shop.noisiest == [NoisyAlert("checkout 5xx", "shop", 1)]
    request = sim.calls_to("ListIncidentAggregations")[-1].request
    assert [value.value for value in request.filter.application_name] == ["shop"]
    assert not request.filter.is_muted.value and request.filter.HasField("is_muted")


@pytest.mark.parametrize("match", [{"alert_name": ["disk full"]}, {"labels": {"alert_name": "disk full"}}])
def test_a_match_the_filter_cannot_say_is_counted_here(
    incidents: tuple[SimulatedCoralogix, ReportReader], match: dict[str, object]
) -> None:
    sim, reader = incidents
    assert reader.report(route(**match), PERIOD).noisiest == [NoisyAlert("disk full", "infra", 3)]
    assert sim.calls_to("ListIncidentAggregations") == []


def test_a_failed_count_is_counted_here(incidents: tuple[SimulatedCoralogix, ReportReader]) -> None:
    sim, reader = incidents
    sim.faults.fail_next(grpc.StatusCode.INTERNAL, rpc="ListIncidentAggregations")
    assert reader.report(None, PERIOD).noisiest == EVERY
    assert [call.code for call in sim.calls_to("ListIncidentAggregations")] == ["INTERNAL"]


def test_cases_are_counted_here(store: Store) -> None:
    clock = Clock()
    sim = SimulatedCases(seed=2, clock=clock)
    fill(sim, clock)
    running = start_cases_sandbox(sim)
    client = make_backend("cases", open_channel(running.address, insecure=True), "cx-team-key")
    reader = ReportReader(client=client, store=store, clock=clock)
    try:
        assert reader.report(None, PERIOD).noisiest == EVERY
    finally:
        reader.close()
        client.close_channel()
        running.stop()


def test_groups_are_named_by_their_alert_name_label_else_their_name() -> None:
    groups = [
        AggregationGroup(key={"alert_name": "disk full", "name": "Disk 90%", "app": "infra"}, total=2),
        AggregationGroup(key={"alert_name": "", "name": "disk full", "app": "infra"}, total=2),
        AggregationGroup(key={"alert_name": "cpu", "name": "", "app": ""}, total=3),
    ]
    assert noisiest_from_groups(groups) == [NoisyAlert("disk full", "infra", 4), NoisyAlert("cpu", None, 3)]
    nameless = AggregationGroup(key={"alert_name": "", "name": "", "app": "infra"}, total=1)
    assert noisiest_from_groups([*groups, nameless]) is None  # such incidents go by their ids


def test_coralogix_counts_while_the_incidents_are_listed(
    incidents: tuple[SimulatedCoralogix, ReportReader],
) -> None:
    sim, reader = incidents
    sim.faults.slow(0.3, "ListIncidents")  # the listing takes a while
    assert reader.report(None, PERIOD).noisiest == EVERY
    # the count was made while the incidents were listed (calls are recorded as they end)
    order = [call.rpc for call in sim.calls if call.rpc in ("ListIncidents", "ListIncidentAggregations")]
    assert order == ["ListIncidentAggregations", "ListIncidents", "ListIncidents"]
