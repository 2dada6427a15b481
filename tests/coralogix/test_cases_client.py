"""CasesClient against the simulated CasesService and CaseEventsService over a real socket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from google.protobuf.message import Message

from bot.coralogix.cases_client import CasesClient
from bot.coralogix.errors import PartialWriteError
from bot.coralogix.pb.cases import cases_service_pb2 as pb
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
from bot.errors import (
    CoralogixPermissionError,
    CoralogixRequestError,
    CoralogixUnavailableError,
    IncidentNotFoundError,
)
from bot.sandbox.coralogix import RecordedCall, SimulatedCases
from tests.coralogix.keys import ALICE_KEY, READONLY_KEY, TEAM_KEY, TEAM_USER

M = TypeVar("M", bound=Message)
ALICE = "alice@example.com"
BOB = "bob@example.com"
Observed = list[tuple[str, str, float]]


def _request(call: RecordedCall, kind: type[M]) -> M:
    assert isinstance(call.request, kind)
    return call.request


@pytest.fixture
def two(cases_sim: SimulatedCases) -> list[str]:
    return [
        cases_sim.create_case(
            title="API latency", priority="P1", application="shop", subsystem="api", labels={"team": "web"}
        ),
        cases_sim.create_case(
            title="Queue backlog", severity="warning", application="shop", subsystem="queue"
        ),
    ]


# ---------------------------------------------------------------------------------------------- reads


def test_get_converts_a_case(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    case = cases_client.get_incident(two[0])
    assert (case.id, case.name, case.priority, case.severity) == (
        two[0],
        "API latency",
        "P1",
        Severity.CRITICAL,
    )
    assert (case.status, case.state, case.is_open) == (Status.TRIGGERED, State.TRIGGERED, True)
    assert (case.application, case.subsystem, case.label("team")) == ("shop", "api", "web")
    assert case.readable_id == "CASE-1" and case.category == "availability"
    assert case.created_at is not None and case.last_state_update_time is not None
    assert case.contextual_labels["alert_id"]
    assert cases_client.get_incident(two[1]).severity is Severity.WARNING
    [call] = cases_sim.calls_to("GetCase")[:1]
    assert (call.api_key, call.user_id, call.code) == (TEAM_KEY, TEAM_USER, "OK")


def test_unknown_case_is_not_found(cases_client: CasesClient, cases_sim: SimulatedCases) -> None:
    with pytest.raises(IncidentNotFoundError) as err:
        cases_client.get_incident("no-such-case")
    assert err.value.incident_id == "no-such-case" and err.value.rpc == "GetCase"
    assert str(err.value) == "There is no case no-such-case in Coralogix"
    assert cases_sim.calls_to("GetCase")[-1].code == "NOT_FOUND"


def test_batch_get_reads_each_case(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]
) -> None:
    result = cases_client.batch_get_incidents([two[0], "missing", two[1], two[0]])
    assert sorted(result.found) == sorted(two)
    assert result.not_found == ("missing",)
    assert len(cases_sim.calls_to("GetCase")) == 3
    assert cases_client.batch_get_incidents([]).found == {}


def test_pages_and_orders(cases_client: CasesClient, cases_sim: SimulatedCases, observed: Observed) -> None:
    ids = [cases_sim.create_case(title=f"case {n}") for n in range(7)]
    cases_sim.acknowledge(ids[2], ALICE)  # the most recently updated now
    first = cases_client.list_incidents(
        ordering=Ordering(SortField.LAST_STATE_UPDATE, descending=True), page_size=3
    )
    assert first.total_size == 7 and first.next_page_token is not None
    assert first.incidents[0].id == ids[2]
    newest_first = list(
        cases_client.iter_incidents(ordering=Ordering(SortField.LAST_STATE_UPDATE), page_size=3)
    )
    assert [case.id for case in newest_first] == [ids[2], *reversed(ids[3:]), *reversed(ids[:2])]
    pages = [rpc for rpc, _, _ in observed if rpc == "ListCases"]
    assert len(pages) == 1 + 3
    by_creation = list(cases_client.iter_incidents(ordering=Ordering(SortField.CREATED, descending=False)))
    assert [case.id for case in by_creation] == ids


def test_filters(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    resolved = cases_sim.create_case(title="fixed", application="pay")
    cases_sim.resolve(resolved, ALICE)
    closed = cases_sim.create_case(title="gone", application="pay")
    cases_sim.close(closed, ALICE)
    cases_sim.acknowledge(two[1], BOB)
    cases_sim.assign(two[0], BOB, ALICE)

    def ids(flt: IncidentFilter) -> set[str]:
        return {case.id for case in cases_client.iter_incidents(flt)}

    assert ids(IncidentFilter(statuses=(Status.TRIGGERED, Status.ACKNOWLEDGED))) == set(two)
    assert ids(IncidentFilter(statuses=(Status.ACKNOWLEDGED,))) == {two[1]}
    assert ids(IncidentFilter(statuses=(Status.RESOLVED,))) == {resolved, closed}
    assert ids(IncidentFilter(states=(State.RESOLVED,))) == {resolved, closed}
    assert ids(IncidentFilter(severities=(Severity.CRITICAL,))) == {two[0]}
    assert ids(IncidentFilter(applications=("pay",))) == {resolved, closed}
    assert ids(IncidentFilter(subsystems=("queue",))) == {two[1]}
    assert ids(IncidentFilter(assignees=(BOB,))) == {two[0]}
    assert ids(IncidentFilter(id_search=two[1][:8])) == {two[1]}
    assert ids(IncidentFilter(muted=True)) == set()
    created = cases_client.get_incident(closed).created_at
    assert created is not None
    assert ids(IncidentFilter(created_after=created)) == {closed}
    assert ids(IncidentFilter(created_before=created)) == {*two, resolved}
    request = _request(cases_sim.calls_to("ListCases")[0], pb.ListCasesRequest)
    assert list(request.filters.statuses) == [1, 2] and list(request.filters.states) == [1, 2]


def test_events_and_comments(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    cases_sim.comment(two[0], "rolling back", ALICE)
    cases_sim.set_priority(two[0], "P2")
    cases_sim.auto_resolve(two[0])
    events = cases_client.get_incident_events(two[0])
    assert [event.kind for event in events] == [
        EventKind.OPEN,
        EventKind.UPSERT_STATE,
        EventKind.COMMENT,
        EventKind.PRIORITY,
        EventKind.UPSERT_STATE,
    ]
    opened, activated, comment, priority, cleared = events
    assert (opened.system, opened.priority, activated.state) == ("Coralogix", "P1", State.TRIGGERED)
    assert (comment.who, comment.text) == (ALICE, "rolling back")
    assert priority.priority == "P2"
    assert (cleared.state, cleared.who, cleared.system) == (State.RESOLVED, None, "Coralogix")
    assert all(event.at is not None for event in events)
    assert cases_client.get_incident(two[0]).status is Status.RESOLVED
    with pytest.raises(IncidentNotFoundError, match="There is no case nope"):
        cases_client.get_incident_events("nope")


def test_aggregations_count_the_listed_cases(
    cases_client: CasesClient, make_cases_client: Callable[..., CasesClient], cases_sim: SimulatedCases
) -> None:
    for severity in ("critical", "critical", "error", "warning"):
        cases_sim.create_case(severity=severity, application="shop")
    cases_sim.assign(cases_sim.case_ids()[0], BOB, ALICE)
    [everything] = cases_client.list_aggregations()
    assert everything.key == {} and everything.total == 4
    assert everything.by_severity == {Severity.CRITICAL: 2, Severity.ERROR: 1, Severity.WARNING: 1}
    by_severity = {
        g.key["severity"]: g.total for g in cases_client.list_aggregations(group_by=GroupField.SEVERITY)
    }
    assert by_severity == {"critical": 2, "error": 1, "warning": 1}
    by_assignee = {
        g.key["assignee"]: g.total for g in cases_client.list_aggregations(group_by=GroupField.ASSIGNEE)
    }
    assert by_assignee == {BOB: 1, "unassigned": 3}
    filtered = cases_client.list_aggregations(
        IncidentFilter(severities=(Severity.CRITICAL,)), GroupField.APPLICATION
    )
    assert [(g.key, g.total) for g in filtered] == [({"app": "shop"}, 2)]
    capped = make_cases_client(aggregation_page_size=1, max_aggregation_pages=3)
    assert capped.list_aggregations()[0].total == 3  # the cap: three pages of one


# --------------------------------------------------------------------------------------------- writes


def test_acknowledge_sends_the_actor(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str], observed: Observed
) -> None:
    acknowledged = cases_client.acknowledge(two, actor=ALICE)
    assert [case.id for case in acknowledged] == two
    assert {case.status for case in acknowledged} == {Status.ACKNOWLEDGED}
    calls = cases_sim.calls_to("AcknowledgeCase")
    requests = [_request(call, pb.AcknowledgeCaseRequest) for call in calls]
    assert [request.id for request in requests] == two  # one call per case
    assert {request.actor.user_id for request in requests} == {ALICE}
    assert {call.api_key for call in calls} == {TEAM_KEY}
    ack = cases_client.get_incident_events(two[0])[-1]
    assert (ack.kind, ack.who, ack.acknowledged_by) == (EventKind.ACKNOWLEDGE, ALICE, ALICE)
    assert [rpc for rpc, _, _ in observed] == ["AcknowledgeCase", "AcknowledgeCase", "ListEvents"]


def test_acknowledge_without_actor_is_the_keys_owner(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]
) -> None:
    cases_client.acknowledge([two[0]], actor="  ")
    call = cases_sim.calls_to("AcknowledgeCase")[-1]
    assert not _request(call, pb.AcknowledgeCaseRequest).HasField("actor")
    assert cases_client.get_incident_events(two[0])[-1].who == TEAM_USER
    cases_client.acknowledge([two[1]], api_key=ALICE_KEY)
    assert cases_client.get_incident_events(two[1])[-1].who == ALICE


def test_assign_and_unassign(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    [assigned] = cases_client.assign([two[0]], f" {BOB} ", api_key=ALICE_KEY, actor=ALICE)
    assert assigned.assignee == BOB
    request = _request(cases_sim.calls_to("AssignCase")[-1], pb.AssignCaseRequest)
    assert (request.id, request.assignee.user_id) == (two[0], BOB)
    event = cases_client.get_incident_events(two[0])[-1]
    assert (event.kind, event.assigned_to, event.who) == (EventKind.ASSIGN, BOB, ALICE)
    [unassigned] = cases_client.unassign([two[0]])
    assert unassigned.assignee is None
    event = cases_client.get_incident_events(two[0])[-1]
    assert (event.kind, event.who) == (EventKind.UNASSIGN, TEAM_USER)


def test_resolve_then_close(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    [resolved] = cases_client.resolve([two[0]], api_key=ALICE_KEY)
    assert (resolved.status, resolved.state, resolved.is_open) == (Status.RESOLVED, State.RESOLVED, True)
    closed = cases_client.close(two)
    assert all(case.is_closed for case in closed)
    assert closed[0].closed_at == closed[0].last_state_update_time
    kinds = [event.kind for event in cases_client.get_incident_events(two[1])][-2:]
    assert kinds == [EventKind.UPSERT_STATE, EventKind.CLOSE]  # closing resolves first
    assert cases_client.get_incident_events(two[0])[-2].who == ALICE


def test_a_failure_before_anything_is_done_is_raised_as_is(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]
) -> None:
    with pytest.raises(IncidentNotFoundError) as err:
        cases_client.resolve(["missing"])
    assert err.value.incident_id == "missing"
    cases_sim.close(two[0], ALICE)
    with pytest.raises(CoralogixRequestError, match="closed") as refused:
        cases_client.acknowledge([two[0], "missing"])
    assert not isinstance(refused.value, PartialWriteError)


def test_partial_failure_says_which(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]
) -> None:
    with pytest.raises(PartialWriteError) as err:
        cases_client.acknowledge([two[0], "missing", two[1]], actor=ALICE)
    results = err.value.results
    assert list(results) == [two[0], "missing", two[1]]
    assert isinstance(results[two[0]], Incident) and isinstance(results[two[1]], Incident)
    assert isinstance(results["missing"], IncidentNotFoundError)
    assert list(err.value.failed) == ["missing"]
    assert str(err.value).startswith("Coralogix could not acknowledge 1 of 3 cases: There is no case missing")
    assert cases_client.get_incident(two[1]).status is Status.ACKNOWLEDGED


def test_permission_denied_without_case_acknowledge(
    make_cases_client: Callable[..., CasesClient], cases_sim: SimulatedCases, two: list[str]
) -> None:
    permissions = ["case:Read", "case:Assign", "case:Close", "case:Update"]
    cases_sim.add_api_key("cx-no-ack", "carol@example.com", permissions)
    client = make_cases_client("cx-no-ack")
    with pytest.raises(CoralogixPermissionError) as err:
        client.acknowledge(two, actor=ALICE)
    assert err.value.permission == "case:Acknowledge"
    assert str(err.value) == "The Coralogix API key lacks the case:Acknowledge permission"
    assert [call.code for call in cases_sim.calls_to("AcknowledgeCase")] == ["PERMISSION_DENIED"]
    assert {client.get_incident(i).status for i in two} == {Status.TRIGGERED}
    assert client.resolve([two[0]])[0].status is Status.RESOLVED
    with pytest.raises(CoralogixPermissionError, match="case:Close"):
        make_cases_client(READONLY_KEY).close([two[1]])


def test_reads_retry_unavailable_and_writes_do_not(
    cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str], observed: Observed
) -> None:
    cases_sim.faults.unavailable_for_calls(2)
    assert cases_client.get_incident(two[0]).id == two[0]
    assert [code for _, code, _ in observed] == ["UNAVAILABLE", "UNAVAILABLE", "OK"]
    cases_sim.faults.unavailable_for_calls(1)
    with pytest.raises(CoralogixUnavailableError):
        cases_client.acknowledge([two[0]])
    assert [call.code for call in cases_sim.calls_to("AcknowledgeCase")] == ["UNAVAILABLE"]


def test_every_call_has_a_deadline(
    make_cases_client: Callable[..., CasesClient], cases_sim: SimulatedCases, two: list[str]
) -> None:
    cases_sim.faults.slow(0.5, rpc="ListEvents")
    client = make_cases_client(timeout=0.1, read_retries=0)
    with pytest.raises(CoralogixUnavailableError, match="did not answer in time"):
        client.get_incident_events(two[0])


def test_writes_need_ids_and_an_assignee(cases_client: CasesClient, cases_sim: SimulatedCases) -> None:
    with pytest.raises(ValueError, match="no incident ids"):
        cases_client.acknowledge([])
    with pytest.raises(TypeError):
        cases_client.close("abc")
    with pytest.raises(ValueError, match="no assignee"):
        cases_client.assign(["x"], " ")
    assert cases_sim.calls == []


def test_a_case_id_on_incidents_and_an_incident_id_on_cases(
    cases_client: CasesClient, client: object, sim: object, two: list[str]
) -> None:
    """Each API answers NOT_FOUND for the other's ids (the clear message the action layer shows)."""
    from bot.coralogix.client import IncidentsClient
    from bot.sandbox.coralogix import SimulatedCoralogix

    assert isinstance(client, IncidentsClient) and isinstance(sim, SimulatedCoralogix)
    incident_id = sim.create_incident(name="x")
    with pytest.raises(IncidentNotFoundError, match=f"There is no case {incident_id}"):
        cases_client.acknowledge([incident_id])
    with pytest.raises(IncidentNotFoundError, match=f"There is no incident {two[0]}"):
        client.acknowledge([two[0]])


def test_age_of_a_resolved_case(cases_client: CasesClient, cases_sim: SimulatedCases, two: list[str]) -> None:
    cases_sim.resolve(two[0], ALICE)
    case = cases_client.get_incident(two[0])
    assert case.duration is not None and case.duration >= timedelta(0)
    assert cases_client.get_incident(two[1]).duration is None
