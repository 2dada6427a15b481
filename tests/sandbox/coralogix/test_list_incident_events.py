"""ListIncidentEvents: every incident's events with their stamps, by time range, ordered and paged."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from google.protobuf import wrappers_pb2

from bot.coralogix.pb import incident_event_pb2, incident_query_filter_pb2, incident_query_pb2
from bot.coralogix.pb import incident_event_query_filter_pb2 as qf
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.sandbox.coralogix.event_list import StampIndex
from bot.sandbox.coralogix.model import from_timestamp, timestamp, to_micros

from .support import START, TEAM, ManualClock

ASC = incident_query_pb2.ORDER_BY_DIRECTION_ASC
DESC = incident_query_pb2.ORDER_BY_DIRECTION_DESC


def request(*, start=None, end=None, direction=ASC, size=0, token="", **flt) -> pb.ListIncidentEventsRequest:
    span = incident_query_filter_pb2.TimeRange()
    if start is not None:
        span.start_time.CopyFrom(timestamp(start))
    if end is not None:
        span.end_time.CopyFrom(timestamp(end))
    return pb.ListIncidentEventsRequest(
        filter=qf.IncidentEventQueryFilter(timestamp=span, **flt),
        pagination=pb.PaginationRequest(
            page_size=wrappers_pb2.UInt32Value(value=size),
            page_token=wrappers_pb2.StringValue(value=token) if token else None,
        ),
        order_by=pb.ListIncidentEventRequestOrderBy(direction=direction),
    )


def worked_on(sim: SimulatedCoralogix, clock: ManualClock) -> tuple[str, str]:
    """Two incidents: a opened at START, acked at +3, resolved at +10; b opened at +5."""
    a = sim.create_incident(name="a")
    clock.advance(minutes=3)
    sim.acknowledge_many([a], "alice@example.com")
    clock.advance(minutes=2)
    b = sim.create_incident(name="b")
    clock.advance(minutes=5)
    sim.resolve_many([a], "bob@example.com")
    return a, b


def test_events_come_with_their_stamps_oldest_first(
    sim: SimulatedCoralogix, clock: ManualClock, stub
) -> None:
    a, b = worked_on(sim, clock)
    answer = stub.ListIncidentEvents(request(start=START - timedelta(hours=1)), metadata=TEAM)
    got = [
        (item.incident_event.incident_event_type, from_timestamp(item.cx_event_timestamp))
        for item in answer.items
    ]
    ev = incident_event_pb2
    assert got == [
        (ev.INCIDENT_EVENT_TYPE_OPEN, START),
        (ev.INCIDENT_EVENT_TYPE_ACKNOWLEDGE, START + timedelta(minutes=3)),
        (ev.INCIDENT_EVENT_TYPE_OPEN, START + timedelta(minutes=5)),
        (ev.INCIDENT_EVENT_TYPE_UPSERT_STATE, START + timedelta(minutes=10)),
    ]
    # the same events (same ids) GetIncidentEvents gives, so a caller can tell the incidents apart
    a_ids = [e.id.value for e in sim.events(a)]
    b_ids = [e.id.value for e in sim.events(b)]
    assert [item.incident_event.id.value for item in answer.items] == [a_ids[0], a_ids[1], b_ids[0], a_ids[2]]
    assert answer.pagination.total_size.value == 4 and not answer.pagination.HasField("next_page_token")
    assert sim.calls_to("ListIncidentEvents")[-1].code == "OK"


def test_time_range_descending_order_and_pages(sim: SimulatedCoralogix, clock: ManualClock, stub) -> None:
    worked_on(sim, clock)
    span = stub.ListIncidentEvents(
        request(start=START + timedelta(minutes=3), end=START + timedelta(minutes=10)), metadata=TEAM
    )
    assert [from_timestamp(i.cx_event_timestamp) for i in span.items] == [
        START + timedelta(minutes=3),
        START + timedelta(minutes=5),
    ]
    stamps = []
    token = ""
    pages = 0
    while True:
        page = stub.ListIncidentEvents(request(direction=DESC, size=3, token=token), metadata=TEAM)
        pages += 1
        stamps += [from_timestamp(i.cx_event_timestamp) for i in page.items]
        token = page.pagination.next_page_token.value
        if not token:
            break
    assert pages == 2
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 4


def test_a_filter_field_not_simulated_is_refused(sim: SimulatedCoralogix, clock: ManualClock, stub) -> None:
    worked_on(sim, clock)
    with pytest.raises(grpc.RpcError) as err:
        stub.ListIncidentEvents(request(name=wrappers_pb2.StringValue(value="a")), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sim.calls_to("ListIncidentEvents")[-1].code == "INVALID_ARGUMENT"


def test_the_stamp_index_works_out_only_what_the_log_added() -> None:
    event = incident_event_pb2.IncidentEvent()
    log = [(START + timedelta(seconds=n), "inc", event) for n in range(3)]
    index = StampIndex()
    micros = [to_micros(at) for at, _, _ in log]
    assert index.keys(log[:2]) == micros[:2]
    assert index.keys(log) == micros
    # what it already knows is not worked out again (the log only grows): a changed entry shows it
    moved = [
        (START + timedelta(hours=1), "inc", event),
        *log[1:],
        (START + timedelta(seconds=9), "inc", event),
    ]
    assert index.keys(moved) == [*micros, to_micros(START + timedelta(seconds=9))]
    assert index.keys(moved[:1]) == [to_micros(START + timedelta(hours=1))]  # a shorter log: another log
