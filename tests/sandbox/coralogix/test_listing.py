"""ListIncidents: filters, orderings and pagination over a real socket."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2, wrappers_pb2

from bot.coralogix.pb import (
    filter_operators_pb2,
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    incident_severity_pb2,
    incident_state_pb2,
    incident_status_pb2,
    meta_label_pb2,
)
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix

from .support import START, TEAM, ManualClock, sv, svs

Filter = incident_query_filter_pb2.IncidentQueryFilter
F = incident_pb2.IncidentFields
ASC = incident_query_pb2.ORDER_BY_DIRECTION_ASC
DESC = incident_query_pb2.ORDER_BY_DIRECTION_DESC
UNSPECIFIED = incident_query_pb2.ORDER_BY_DIRECTION_UNSPECIFIED


def _ts(minutes: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(START + timedelta(minutes=minutes))
    return stamp


def _list(
    stub, flt: Filter | None = None, order_bys=(), page_size: int = 0, token: str = ""
) -> pb.ListIncidentsResponse:
    pagination = pb.PaginationRequest(page_token=sv(token))
    if page_size:
        pagination.page_size.value = page_size
    request = pb.ListIncidentsRequest(filter=flt, order_bys=list(order_bys), pagination=pagination)
    return stub.ListIncidents(request, metadata=TEAM)


def _names(stub, flt: Filter) -> set[str]:
    return {i.name.value for i in _list(stub, flt, page_size=1000).incidents}


def _list_all(
    stub, order_bys=(), flt: Filter | None = None, page_size: int = 7
) -> tuple[list[str], list[int]]:
    ids: list[str] = []
    totals: list[int] = []
    token = ""
    while True:
        response = _list(stub, flt, order_bys, page_size, token)
        assert len(response.incidents) <= page_size
        ids += [i.id.value for i in response.incidents]
        totals.append(response.pagination.total_size.value)
        token = response.pagination.next_page_token.value
        if not token:
            return ids, totals


@pytest.fixture
def zoo(sim: SimulatedCoralogix) -> dict[str, str]:
    """Six incidents with known, distinct properties; name -> id."""
    ids = {
        "a": sim.create_incident(
            name="a",
            description="about a",
            severity="critical",
            application="shop",
            subsystem="checkout",
            meta_labels={"team": "storefront", "env": "production"},
            created_at=START - timedelta(minutes=50),
        ),
        "b": sim.create_incident(
            name="b",
            description="about b",
            severity="error",
            application="payments",
            subsystem="ledger",
            meta_labels={"team": "payments", "env": "production"},
            created_at=START - timedelta(minutes=40),
        ),
        "c": sim.create_incident(
            name="c",
            description="about c",
            severity="warning",
            application="shop",
            subsystem="cart",
            meta_labels={"team": "storefront", "env": "staging"},
            created_at=START - timedelta(minutes=30),
            muted=True,
        ),
        "d": sim.create_incident(
            name="d",
            description="about d",
            severity="info",
            application="search",
            subsystem="indexer",
            meta_labels={"team": "discovery", "env": "production"},
            created_at=START - timedelta(minutes=20),
        ),
        "e": sim.create_incident(
            name="e",
            description="about e",
            severity="error",
            application="auth",
            subsystem="login",
            meta_labels={"team": "identity", "env": "dev"},
            created_at=START - timedelta(minutes=10),
        ),
        "f": sim.create_incident(
            name="f",
            description="about f",
            severity="low",
            application="shop",
            subsystem="checkout",
            alert_name="checkout latency",
            meta_labels={"team": "storefront"},
            created_at=START - timedelta(minutes=5),
        ),
    }
    sim.acknowledge(ids["b"], "alice@example.com")
    sim.assign(ids["b"], "alice@example.com", "bob@example.com")
    sim.assign(ids["e"], "bob@example.com", "bob@example.com")
    sim.resolve(ids["d"], "bob@example.com")
    sim.auto_resolve(ids["e"])
    sim.close(ids["a"], "alice@example.com")
    return ids


def test_empty_filter_lists_everything_newest_first(zoo: dict[str, str], stub) -> None:
    response = _list(stub)
    assert [i.name.value for i in response.incidents] == ["f", "e", "d", "c", "b", "a"]
    assert response.pagination.total_size.value == 6
    assert not response.pagination.next_page_token.value
    assert all(len(i.events) == 0 for i in response.incidents)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter(status=[incident_status_pb2.INCIDENT_STATUS_TRIGGERED]), {"c", "f"}),
        (
            Filter(
                status=[
                    incident_status_pb2.INCIDENT_STATUS_ACKNOWLEDGED,
                    incident_status_pb2.INCIDENT_STATUS_RESOLVED,
                ]
            ),
            {"a", "b", "d", "e"},
        ),
        (Filter(state=[incident_state_pb2.INCIDENT_STATE_RESOLVED]), {"a", "e"}),
        (Filter(severity=[incident_severity_pb2.INCIDENT_SEVERITY_ERROR]), {"b", "e"}),
        (Filter(application_name=svs("shop")), {"a", "c", "f"}),
        (Filter(application_name=svs("shop"), subsystem_name=svs("checkout")), {"a", "f"}),
        (Filter(assignee=svs("alice@example.com")), {"b"}),
        (Filter(assignee=svs("alice@example.com", "bob@example.com")), {"b", "e"}),
        (Filter(is_muted=wrappers_pb2.BoolValue(value=True)), {"c"}),
        (Filter(is_muted=wrappers_pb2.BoolValue(value=False)), {"a", "b", "d", "e", "f"}),
        (
            Filter(created_at_range=incident_query_filter_pb2.TimeRange(start_time=_ts(-30))),
            {"c", "d", "e", "f"},
        ),
        (
            Filter(
                created_at_range=incident_query_filter_pb2.TimeRange(start_time=_ts(-45), end_time=_ts(-20))
            ),
            {"b", "c", "d"},
        ),
        (Filter(start_time=_ts(-15), end_time=_ts(0)), {"e", "f"}),
        (
            Filter(meta_labels=[meta_label_pb2.MetaLabel(key=sv("team"), value=sv("storefront"))]),
            {"a", "c", "f"},
        ),
        (
            Filter(
                meta_labels=[
                    meta_label_pb2.MetaLabel(key=sv("env"), value=sv("dev")),
                    meta_label_pb2.MetaLabel(key=sv("team"), value=sv("payments")),
                ]
            ),
            {"b", "e"},
        ),
        (
            Filter(
                meta_labels=[
                    meta_label_pb2.MetaLabel(key=sv("env"), value=sv("production")),
                    meta_label_pb2.MetaLabel(key=sv("team"), value=sv("storefront")),
                ],
                meta_labels_op=filter_operators_pb2.FILTER_OPERATOR_AND,
            ),
            {"a"},
        ),
        (
            Filter(
                contextual_labels={
                    "alert_name": incident_query_filter_pb2.ContextualLabelValues(
                        contextual_label_values=svs("checkout latency")
                    )
                }
            ),
            {"f"},
        ),
        (
            Filter(
                display_labels={
                    "coralogix.metadata.subsystemName": incident_query_filter_pb2.DisplayLabelValues(
                        display_label_values=svs("cart", "login")
                    )
                }
            ),
            {"c", "e"},
        ),
        (Filter(search_query=incident_query_pb2.IncidentSearchQuery(query=sv("LATENCY"))), {"f"}),
        (
            Filter(
                status=[incident_status_pb2.INCIDENT_STATUS_TRIGGERED],
                severity=[incident_severity_pb2.INCIDENT_SEVERITY_CRITICAL],
            ),
            set(),
        ),
    ],
)
def test_filters(zoo: dict[str, str], stub, flt: Filter, expected: set[str]) -> None:
    assert _names(stub, flt) == expected
    assert _list(stub, flt).pagination.total_size.value == len(expected)


def _order(field, direction=UNSPECIFIED) -> incident_query_pb2.OrderBy:
    return incident_query_pb2.OrderBy(incident_field=field, direction=direction)


def test_order_by_created_time_both_ways(zoo: dict[str, str], stub) -> None:
    asc = [
        i.name.value for i in _list(stub, order_bys=[_order(F.INCIDENTS_FIELDS_CREATED_TIME, ASC)]).incidents
    ]
    desc = [
        i.name.value for i in _list(stub, order_bys=[_order(F.INCIDENTS_FIELDS_CREATED_TIME, DESC)]).incidents
    ]
    unspecified = [
        i.name.value for i in _list(stub, order_bys=[_order(F.INCIDENTS_FIELDS_CREATED_TIME)]).incidents
    ]
    assert asc == ["a", "b", "c", "d", "e", "f"]
    assert desc == unspecified == list(reversed(asc))


def test_order_by_last_state_update_time(zoo: dict[str, str], sim: SimulatedCoralogix, stub) -> None:
    sim.set_muted(zoo["c"], False, by="alice@example.com")  # c is now the most recently changed
    order = [_order(F.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME, DESC)]
    names = [i.name.value for i in _list(stub, order_bys=order).incidents]
    assert names == ["c", "a", "e", "d", "b", "f"]
    stamps = [i.last_state_update_time.ToNanoseconds() for i in _list(stub, order_bys=order).incidents]
    assert stamps == sorted(stamps, reverse=True)
    order_asc = [_order(F.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME, ASC)]
    assert [i.name.value for i in _list(stub, order_bys=order_asc).incidents] == list(reversed(names))


def test_order_by_severity_and_name(zoo: dict[str, str], stub) -> None:
    by_severity = _list(stub, order_bys=[_order(F.INCIDENTS_FIELDS_SEVERITY, DESC)]).incidents
    assert [i.name.value for i in by_severity][:1] == ["a"]  # critical first
    assert [i.name.value for i in by_severity][-1] == "f"  # low last
    by_name = _list(stub, order_bys=[_order(F.INCIDENTS_FIELDS_NAME, ASC)]).incidents
    assert [i.name.value for i in by_name] == ["a", "b", "c", "d", "e", "f"]


def test_pages_cover_every_incident_once(sim: SimulatedCoralogix, stub) -> None:
    sim.generate(60, lifecycle=True)
    everything = set(sim.incident_ids())
    for field in (F.INCIDENTS_FIELDS_CREATED_TIME, F.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME):
        for direction in (ASC, DESC):
            ids, totals = _list_all(stub, order_bys=[_order(field, direction)], page_size=7)
            assert len(ids) == len(everything) == 60
            assert set(ids) == everything
            assert set(totals) == {60}
            assert len(totals) == 9  # 8 full pages of 7 and one of 4


def test_ties_are_broken_by_id(sim: SimulatedCoralogix, stub) -> None:
    same_time = START - timedelta(hours=1)
    sim.generate(12, created_at=same_time)
    ids, _ = _list_all(stub, order_bys=[_order(F.INCIDENTS_FIELDS_CREATED_TIME, ASC)], page_size=5)
    assert ids == sorted(ids)


def test_paging_with_a_filter_counts_only_matches(sim: SimulatedCoralogix, stub) -> None:
    sim.generate(40)
    shop = {
        i
        for i in sim.incident_ids()
        if sim.incident(i).display_labels["coralogix.metadata.applicationName"] == "shop"
    }
    ids, totals = _list_all(stub, flt=Filter(application_name=svs("shop")), page_size=3)
    assert sorted(ids) == sorted(shop)
    assert set(totals) == {len(shop)}


def test_page_boundary_holds_when_incidents_change_between_pages(
    sim: SimulatedCoralogix, clock: ManualClock, stub
) -> None:
    ids = [sim.create_incident(name=f"n{i}", created_at=START - timedelta(minutes=i)) for i in range(10)]
    first = _list(stub, page_size=4)
    sim.create_incident(name="newest")  # lands before the first page; must not shift the next one
    sim.close(ids[1], by="alice@example.com")
    second = _list(stub, page_size=4, token=first.pagination.next_page_token.value)
    assert [i.id.value for i in first.incidents] == ids[:4]
    assert [i.id.value for i in second.incidents] == ids[4:8]
    assert second.pagination.total_size.value == 11


def test_default_and_maximum_page_sizes(sim: SimulatedCoralogix, stub) -> None:
    sim.generate(1100, created_at=START)
    default = _list(stub)
    assert len(default.incidents) == 50
    assert default.pagination.total_size.value == 1100
    capped = _list(stub, page_size=5000)
    assert len(capped.incidents) == 1000
    assert capped.pagination.next_page_token.value


@pytest.mark.parametrize("token", ["garbage!", "eyJxIjoiMTIzIn0", "bm90IGpzb24"])
def test_bad_page_token_is_invalid(zoo: dict[str, str], stub, token: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _list(stub, page_size=2, token=token)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_token_of_another_query_is_invalid(zoo: dict[str, str], stub) -> None:
    token = _list(stub, page_size=2).pagination.next_page_token.value
    with pytest.raises(grpc.RpcError) as err:
        _list(stub, Filter(application_name=svs("shop")), page_size=2, token=token)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_cached_orders_follow_changes(sim: SimulatedCoralogix, stub) -> None:
    """Views are repositioned on change, not rebuilt: after changes they equal a fresh sort."""
    ids = sim.generate(60)
    orders = {
        "updated": [
            incident_query_pb2.OrderBy(
                direction=DESC, incident_field=F.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME
            )
        ],
        "created": [
            incident_query_pb2.OrderBy(direction=ASC, incident_field=F.INCIDENTS_FIELDS_CREATED_TIME)
        ],
    }
    open_only = Filter(status=[incident_status_pb2.INCIDENT_STATUS_TRIGGERED])
    for order in orders.values():  # fill the caches
        _list_all(stub, order)
        _list_all(stub, order, open_only)
    for incident_id in ids[::7]:
        sim.acknowledge(incident_id, by="alice@example.com")
    fresh = [sim.create_incident(name=f"new {n}") for n in range(3)]
    sim.close(ids[3], by="bob@example.com")

    def lsu(i: str) -> tuple[int, int]:
        stamp = sim.incident(i).last_state_update_time
        return stamp.seconds, stamp.nanos

    everyone = ids + fresh
    triggered = [
        i for i in everyone if sim.incident(i).status == incident_status_pb2.INCIDENT_STATUS_TRIGGERED
    ]
    by_update = sorted(everyone, key=lambda i: (tuple(-x for x in lsu(i)), i))
    assert _list_all(stub, orders["updated"])[0] == by_update
    assert _list_all(stub, orders["updated"], open_only)[0] == [i for i in by_update if i in triggered]
    created = sorted(everyone, key=lambda i: (sim.incident(i).created_at.ToNanoseconds(), i))
    assert _list_all(stub, orders["created"])[0] == created
    assert _list_all(stub, orders["created"], open_only)[0] == [i for i in created if i in triggered]
