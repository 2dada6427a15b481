"""ListIncidentAggregations: groups and counts agree with what ListIncidents returns."""

from __future__ import annotations

from collections import Counter

import grpc
import pytest

from bot.coralogix.pb import (
    incident_pb2,
    incident_query_filter_pb2,
    incident_query_pb2,
    incident_severity_pb2,
    incident_status_pb2,
)
from bot.coralogix.pb import incidents_service_pb2 as pb
from bot.sandbox.coralogix import SimulatedCoralogix

from .support import TEAM, sv, svs

F = incident_pb2.IncidentFields


def _aggregate(
    stub, *group_bys, flt=None, page_size: int = 0, token: str = ""
) -> pb.ListIncidentAggregationsResponse:
    pagination = pb.PaginationRequest(page_token=sv(token))
    if page_size:
        pagination.page_size.value = page_size
    request = pb.ListIncidentAggregationsRequest(filter=flt, group_bys=list(group_bys), pagination=pagination)
    return stub.ListIncidentAggregations(request, metadata=TEAM)


def _all_incidents(stub, flt=None) -> list[incident_pb2.Incident]:
    request = pb.ListIncidentsRequest(filter=flt, pagination=pb.PaginationRequest(page_size={"value": 1000}))
    return list(stub.ListIncidents(request, metadata=TEAM).incidents)


def _by(field) -> incident_query_pb2.GroupBy:
    return incident_query_pb2.GroupBy(incident_field=field)


@pytest.fixture
def population(sim: SimulatedCoralogix) -> list[str]:
    return sim.generate(80, lifecycle=True)


def test_no_group_by_is_one_group_of_everything(population: list[str], stub) -> None:
    [everything] = _aggregate(stub).incident_aggs
    incidents = _all_incidents(stub)
    assert everything.all_values_count.value == 80
    assert len(everything.group_bys_value) == 0
    assert sorted(v.value for v in everything.list_incidents_id) == sorted(population)
    severities = {c.severity: c.count.value for c in everything.agg_severity_count}
    assert severities == Counter(i.severity for i in incidents)
    statuses = {c.status: c.count.value for c in everything.agg_status_count}
    assert statuses == Counter(i.status for i in incidents)
    states = {c.state: c.count.value for c in everything.agg_state_count}
    assert states == Counter(i.state for i in incidents)
    assignees = {c.assigned_to.user_id.value: c.count.value for c in everything.agg_assignments_count}
    expected = Counter(i.assignments[-1].assigned_to.user_id.value for i in incidents if i.assignments)
    assert assignees == expected and assignees  # the lifecycle mix assigns some
    assert everything.first_created_at == min(
        (i.created_at for i in incidents), key=lambda t: t.ToNanoseconds()
    )
    assert everything.last_state_update_time == max(
        (i.last_state_update_time for i in incidents), key=lambda t: t.ToNanoseconds()
    )


def test_warning_and_error_dominate_the_generated_mix(population: list[str], stub) -> None:
    [everything] = _aggregate(stub).incident_aggs
    severities = {c.severity: c.count.value for c in everything.agg_severity_count}
    common = severities.get(incident_severity_pb2.INCIDENT_SEVERITY_WARNING, 0) + severities.get(
        incident_severity_pb2.INCIDENT_SEVERITY_ERROR, 0
    )
    assert common > 80 / 2


@pytest.mark.parametrize(
    ("field", "value_of"),
    [
        (F.INCIDENTS_FIELDS_SEVERITY, lambda i: i.severity),
        (F.INCIDENTS_FIELDS_STATUS, lambda i: i.status),
        (F.INCIDENTS_FIELDS_STATE, lambda i: i.state),
        (
            F.INCIDENTS_FIELDS_APPLICATION_NAME,
            lambda i: i.display_labels["coralogix.metadata.applicationName"],
        ),
        (F.INCIDENTS_FIELDS_SUBSYSTEM_NAME, lambda i: i.display_labels["coralogix.metadata.subsystemName"]),
    ],
)
def test_groups_match_the_incidents(population: list[str], stub, field, value_of) -> None:
    incidents = _all_incidents(stub)
    expected = Counter(value_of(i) for i in incidents)
    response = _aggregate(stub, _by(field))
    groups = {}
    for agg in response.incident_aggs:
        [group] = agg.group_bys_value
        one_of = group.incident_field
        value = getattr(one_of, one_of.WhichOneof("field"))
        value = getattr(value, "value", value)  # StringValue -> str; enums stay ints
        groups[value] = agg.all_values_count.value
        members = {v.value for v in agg.list_incidents_id}
        assert {value_of(i) for i in incidents if i.id.value in members} == {value}
        assert sum(c.count.value for c in agg.agg_severity_count) == agg.all_values_count.value
    assert groups == expected
    counts = [agg.all_values_count.value for agg in response.incident_aggs]
    assert counts == sorted(counts, reverse=True)
    assert response.pagination.total_size.value == len(expected)


def test_filter_applies_to_aggregations(population: list[str], stub) -> None:
    flt = incident_query_filter_pb2.IncidentQueryFilter(
        status=[incident_status_pb2.INCIDENT_STATUS_TRIGGERED]
    )
    expected = Counter(i.severity for i in _all_incidents(stub, flt))
    response = _aggregate(stub, _by(F.INCIDENTS_FIELDS_SEVERITY), flt=flt)
    got = {
        agg.group_bys_value[0].incident_field.severity: agg.all_values_count.value
        for agg in response.incident_aggs
    }
    assert got == expected
    for agg in response.incident_aggs:
        assert [c.status for c in agg.agg_status_count] == [incident_status_pb2.INCIDENT_STATUS_TRIGGERED]


def test_group_by_a_contextual_label(sim: SimulatedCoralogix, stub) -> None:
    sim.create_incident(name="x", alert_name="disk full")
    sim.create_incident(name="y", alert_name="disk full")
    sim.create_incident(name="z", alert_name="cpu high")
    response = _aggregate(stub, incident_query_pb2.GroupBy(contextual_label=sv("alert_name")))
    got = {
        agg.group_bys_value[0].contextual_labels.field_value.value: agg.all_values_count.value
        for agg in response.incident_aggs
    }
    assert got == {"disk full": 2, "cpu high": 1}


def test_aggregation_pages(population: list[str], stub) -> None:
    by_subsystem = _by(F.INCIDENTS_FIELDS_SUBSYSTEM_NAME)
    everything = _aggregate(stub, by_subsystem, page_size=1000).incident_aggs
    first = _aggregate(stub, by_subsystem, page_size=3)
    rest = _aggregate(stub, by_subsystem, page_size=1000, token=first.pagination.next_page_token.value)
    assert list(first.incident_aggs) + list(rest.incident_aggs) == list(everything)
    assert not rest.pagination.next_page_token.value


def test_grouping_by_an_unsupported_field_is_invalid(stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _aggregate(stub, _by(F.INCIDENTS_FIELDS_DURATION))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_readonly_may_aggregate(population: list[str], stub) -> None:
    request = pb.ListIncidentAggregationsRequest(filter={"application_name": svs("shop")})
    response = stub.ListIncidentAggregations(request, metadata=(("authorization", "Bearer cx-readonly-key"),))
    assert response.incident_aggs[0].all_values_count.value == len(
        _all_incidents(stub, incident_query_filter_pb2.IncidentQueryFilter(application_name=svs("shop")))
    )
