"""Every read rpc of IncidentsClient against the simulated IncidentsService over a real socket."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.coralogix.pb import incident_pb2, incident_query_pb2
from bot.domain import (
    EventKind,
    GroupField,
    Incident,
    IncidentFilter,
    Ordering,
    Severity,
    SortField,
    State,
    Status,
)
from bot.errors import IncidentNotFoundError
from tests.coralogix.keys import ALICE_KEY, TEAM_KEY, TEAM_USER


@pytest.fixture
def shop(sim):
    """Three known incidents (plus nothing else)."""
    return {
        "critical": sim.create_incident(
            name="Checkout 5xx",
            severity="critical",
            application="shop",
            subsystem="checkout",
            meta_labels={"team": "payments"},
        ),
        "warning": sim.create_incident(
            name="Slow cart", severity="warning", application="shop", subsystem="cart"
        ),
        "info": sim.create_incident(
            name="Disk 80%", severity="info", application="infra", subsystem="db", muted=True
        ),
    }


def test_list_incidents_returns_domain_incidents_with_auth_and_deadline(client, sim, shop, observed):
    page = client.list_incidents()
    assert all(isinstance(incident, Incident) for incident in page.incidents)
    by_id = {incident.id: incident for incident in page.incidents}
    assert set(by_id) == set(shop.values())
    assert page.total_size == 3
    assert page.next_page_token is None

    critical = by_id[shop["critical"]]
    assert critical.name == "Checkout 5xx"
    assert critical.severity is Severity.CRITICAL
    assert (critical.status, critical.state) == (Status.TRIGGERED, State.TRIGGERED)
    assert (critical.application, critical.subsystem) == ("shop", "checkout")
    assert critical.label("team") == "payments"
    assert critical.created_at is not None
    assert critical.created_at.tzinfo is not None
    assert critical.is_open
    assert by_id[shop["info"]].is_muted

    [call] = sim.calls_to("ListIncidents")
    assert (call.api_key, call.user_id, call.code) == (TEAM_KEY, TEAM_USER, "OK")
    assert call.request.pagination.page_size.value == 100
    assert not call.request.HasField("filter")
    assert len(call.request.order_bys) == 0
    assert [(rpc, code) for rpc, code, _ in observed] == [("ListIncidents", "OK")]
    assert observed[0][2] >= 0


def test_pager_walks_every_page_exactly_once(client, sim):
    sim.generate(230)
    seen = [incident.id for incident in client.iter_incidents(page_size=50)]
    assert len(seen) == 230
    assert set(seen) == set(sim.incident_ids())

    calls = sim.calls_to("ListIncidents")
    assert len(calls) == 5
    tokens = [call.request.pagination.page_token.value for call in calls]
    assert tokens[0] == ""
    assert all(tokens[1:])
    assert len(set(tokens)) == 5
    assert {call.request.pagination.page_size.value for call in calls} == {50}


def test_pager_keeps_filter_and_ordering_on_every_page(client, sim):
    sim.generate(120)
    wanted = IncidentFilter(statuses=(Status.TRIGGERED,))
    ordering = Ordering(SortField.CREATED, descending=False)
    listed = list(client.iter_incidents(wanted, ordering, page_size=25))
    assert len(listed) == 120
    created = [incident.created_at for incident in listed]
    assert created == sorted(created)
    for call in sim.calls_to("ListIncidents"):
        assert list(call.request.filter.status) == [1]
        assert call.request.order_bys[0].direction == incident_query_pb2.ORDER_BY_DIRECTION_ASC


def test_pager_on_an_empty_account(client, sim):
    assert list(client.iter_incidents()) == []
    assert len(sim.calls_to("ListIncidents")) == 1


def test_filter_reaches_the_server_field_by_field(client, sim, shop):
    after = datetime.now(UTC) - timedelta(days=1)
    before = datetime.now(UTC) + timedelta(days=1)
    wanted = IncidentFilter(
        statuses=(Status.TRIGGERED, Status.ACKNOWLEDGED),
        states=(State.TRIGGERED,),
        severities=(Severity.CRITICAL, Severity.WARNING),
        applications=("shop",),
        subsystems=("checkout", "cart"),
        created_after=after,
        created_before=before,
        muted=False,
    )
    page = client.list_incidents(wanted)
    assert {incident.id for incident in page.incidents} == {shop["critical"], shop["warning"]}

    query = sim.calls_to("ListIncidents")[-1].request.filter
    assert list(query.status) == [1, 2]
    assert list(query.state) == [1]
    assert list(query.severity) == [4, 2]
    assert [v.value for v in query.application_name] == ["shop"]
    assert [v.value for v in query.subsystem_name] == ["checkout", "cart"]
    assert query.HasField("is_muted")
    assert query.is_muted.value is False
    assert query.created_at_range.start_time.ToDatetime(tzinfo=UTC) == after
    assert query.created_at_range.end_time.ToDatetime(tzinfo=UTC) == before
    assert len(query.assignee) == 0


def test_assignee_and_muted_filters(client, sim, shop):
    sim.assign(shop["warning"], to="alice@example.com", by="bob@example.com")
    assigned = client.list_incidents(IncidentFilter(assignees=("alice@example.com",)))
    assert [incident.id for incident in assigned.incidents] == [shop["warning"]]
    assert assigned.incidents[0].assignee == "alice@example.com"
    muted = client.list_incidents(IncidentFilter(muted=True))
    assert [incident.id for incident in muted.incidents] == [shop["info"]]
    assert [v.value for v in sim.calls_to("ListIncidents")[0].request.filter.assignee] == [
        "alice@example.com"
    ]


@pytest.mark.parametrize(
    ("ordering", "field", "direction"),
    [
        (Ordering(SortField.CREATED, descending=True), incident_pb2.INCIDENTS_FIELDS_CREATED_TIME, 2),
        (Ordering(SortField.CREATED, descending=False), incident_pb2.INCIDENTS_FIELDS_CREATED_TIME, 1),
        (
            Ordering(SortField.LAST_STATE_UPDATE, descending=True),
            incident_pb2.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
            2,
        ),
        (
            Ordering(SortField.LAST_STATE_UPDATE, descending=False),
            incident_pb2.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
            1,
        ),
    ],
)
def test_ordering_reaches_the_server(client, sim, ordering, field, direction):
    sim.generate(40, lifecycle=True)
    incidents = client.list_incidents(ordering=ordering, page_size=40).incidents
    [order_by] = sim.calls_to("ListIncidents")[-1].request.order_bys
    assert (order_by.incident_field, order_by.direction) == (field, direction)
    attribute = "created_at" if ordering.field is SortField.CREATED else "last_state_update_time"
    times = [getattr(incident, attribute) for incident in incidents]
    assert times == sorted(times, reverse=ordering.descending)


def test_get_incident(client, sim, shop):
    incident = client.get_incident(shop["critical"])
    assert incident.id == shop["critical"]
    assert incident.title == "Checkout 5xx"
    assert sim.calls_to("GetIncident")[-1].request.id.value == shop["critical"]


def test_get_unknown_incident(client):
    with pytest.raises(IncidentNotFoundError) as caught:
        client.get_incident("no-such-id")
    assert caught.value.incident_id == "no-such-id"
    assert "no incident no-such-id" in str(caught.value)
    assert caught.value.code == "NOT_FOUND"


def test_batch_get_incidents(client, sim, shop):
    result = client.batch_get_incidents([shop["critical"], "missing-1", shop["info"]])
    assert set(result.found) == {shop["critical"], shop["info"]}
    assert result.found[shop["info"]].name == "Disk 80%"
    assert result.not_found == ("missing-1",)
    assert [v.value for v in sim.calls_to("BatchGetIncident")[-1].request.ids] == [
        shop["critical"],
        "missing-1",
        shop["info"],
    ]


def test_batch_get_nothing_makes_no_call(client, sim):
    assert client.batch_get_incidents([]).found == {}
    assert sim.calls_to("BatchGetIncident") == []


def test_get_incident_events(client, sim, shop):
    sim.acknowledge(shop["critical"], by="bob@example.com")
    events = client.get_incident_events(shop["critical"])
    assert [event.kind for event in events] == [EventKind.OPEN, EventKind.ACKNOWLEDGE]
    assert events[0].system is not None
    assert events[0].actor is None
    assert events[1].who == "bob@example.com"
    assert sim.calls_to("GetIncidentEvents")[-1].request.incident_id.value == shop["critical"]


def test_list_timed_events_pages_and_carries_times(client, sim):
    start = datetime.now(UTC) - timedelta(hours=7)
    ids = sim.generate(30, lifecycle=True)
    listed = client.list_timed_events(start, page_size=7)
    assert listed.complete
    expected = {event.id.value for incident_id in ids for event in sim.events(incident_id)}
    assert {event.id for event in listed.events} == expected and len(listed.events) == len(expected)
    times = [event.at for event in listed.events]
    assert None not in times and times == sorted(times)  # type: ignore[type-var]
    assert len(sim.calls_to("ListIncidentEvents")) == -(-len(expected) // 7)
    bounded = client.list_timed_events(start, page_size=7, max_pages=2)
    assert not bounded.complete and len(bounded.events) == 14


def test_events_of_an_unknown_incident(client):
    with pytest.raises(IncidentNotFoundError) as caught:
        client.get_incident_events("nope")
    assert caught.value.incident_id == "nope"


def test_aggregations_by_severity_match_the_list(client, sim):
    sim.generate(150, lifecycle=True)
    listed = list(client.iter_incidents())
    groups = client.list_aggregations(group_by=GroupField.SEVERITY)
    expected: dict[str, int] = {}
    for incident in listed:
        expected[incident.severity.value] = expected.get(incident.severity.value, 0) + 1
    assert {group.key["severity"]: group.total for group in groups} == expected
    for group in groups:
        assert sum(group.by_status.values()) == group.total
        assert set(group.by_severity) == {Severity(group.key["severity"])}
    [group_by] = sim.calls_to("ListIncidentAggregations")[-1].request.group_bys
    assert group_by.incident_field == incident_pb2.INCIDENTS_FIELDS_SEVERITY


def test_aggregations_by_application_with_a_filter(client, sim, shop):
    groups = client.list_aggregations(IncidentFilter(states=(State.TRIGGERED,)), GroupField.APPLICATION)
    assert sorted((group.key["app"], group.total) for group in groups) == [("infra", 1), ("shop", 2)]
    request = sim.calls_to("ListIncidentAggregations")[-1].request
    assert list(request.filter.state) == [1]
    assert request.group_bys[0].incident_field == incident_pb2.INCIDENTS_FIELDS_APPLICATION_NAME


def test_aggregation_without_group_by_is_one_total(client, sim, shop):
    [group] = client.list_aggregations()
    assert group.key == {}
    assert group.total == 3
    assert set(group.incident_ids) == set(shop.values())
    assert len(sim.calls_to("ListIncidentAggregations")[-1].request.group_bys) == 0


def test_aggregations_by_assignee(client, sim, shop):
    sim.assign(shop["critical"], to="alice@example.com", by="alice@example.com")
    sim.assign(shop["warning"], to="alice@example.com", by="bob@example.com")
    groups = client.list_aggregations(group_by=GroupField.ASSIGNEE)
    assert {group.key["assignee"]: group.total for group in groups} == {
        "alice@example.com": 2,
        "unassigned": 1,
    }
    assert len(sim.calls_to("ListIncidentAggregations")[-1].request.group_bys) == 0


def test_per_call_key_on_reads(client, sim, shop):
    client.get_incident(shop["info"], api_key=ALICE_KEY)
    call = sim.calls_to("GetIncident")[-1]
    assert (call.api_key, call.user_id) == (ALICE_KEY, "alice@example.com")


def test_incidents_per_alert_name_and_application(client, sim, shop):
    sim.create_incident(name="Checkout 5xx", severity="error", application="shop")
    groups = client.incidents_per_alert(IncidentFilter(severities=(Severity.CRITICAL, Severity.ERROR)))
    assert groups is not None
    counts = {(group.key["alert_name"], group.key["name"], group.key["app"]): group.total for group in groups}
    [(alert, name, app)] = counts
    assert (name, app, counts[alert, name, app]) == ("Checkout 5xx", "shop", 2)
    request = sim.calls_to("ListIncidentAggregations")[-1].request
    assert request.group_bys[0].contextual_label.value == "alert_name"
    assert [group_by.incident_field for group_by in request.group_bys[1:]] == [
        incident_pb2.INCIDENTS_FIELDS_NAME,
        incident_pb2.INCIDENTS_FIELDS_APPLICATION_NAME,
    ]
    assert list(request.filter.severity) == [4, 3]


def test_incidents_per_alert_is_none_when_its_pages_run_out(client, sim):
    for n in range(60):  # 60 groups: two pages of the service's 50
        sim.create_incident(name=f"alert {n}", application="shop")
    assert client.incidents_per_alert(IncidentFilter(), max_pages=1) is None
    groups = client.incidents_per_alert(IncidentFilter(), max_pages=2)
    assert groups is not None and len(groups) == 60
