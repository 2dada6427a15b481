"""The simulated CasesService and CaseEventsService over a real socket: lifecycle, actors, permissions,
listing, comments, and that a Cases server does not answer the IncidentsService."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from google.protobuf.message import Message

from bot.coralogix.pb import incidents_service_pb2, incidents_service_pb2_grpc
from bot.coralogix.pb.cases import case_events_service_pb2 as ev
from bot.coralogix.pb.cases import (
    case_events_service_pb2_grpc,
    case_pb2,
    cases_service_pb2_grpc,
    pagination_pb2,
)
from bot.coralogix.pb.cases import cases_service_pb2 as pb
from bot.sandbox.coralogix import CASE_PERMISSIONS, InvalidTransition, RunningCasesSandbox, SimulatedCases

from .support import ALICE, READONLY, TEAM, ManualClock

CasesStub = cases_service_pb2_grpc.CasesServiceStub
EventsStub = case_events_service_pb2_grpc.CaseEventsServiceStub
S = case_pb2.CaseStatus
St = case_pb2.CaseState
OrderBy = pb.ListCasesRequest.CaseOrderBy
Page = pagination_pb2.PaginationRequest


def _data(event: object) -> str | None:
    assert isinstance(event, Message)
    return event.event_data.WhichOneof("data")  # type: ignore[attr-defined, no-any-return]


def _actor(event: object) -> str:
    """The event's user id, or "system"."""
    assert isinstance(event, Message)
    actor = event.actor  # type: ignore[attr-defined]
    which = actor.WhichOneof("actor")
    assert which is not None, "every event names who caused it"
    return "system" if which == "system" else str(actor.user.id)


def test_lifecycle_with_actor_on_every_event(
    cases_sim: SimulatedCases, cases_stub: CasesStub, events_stub: EventsStub, clock: ManualClock
) -> None:
    case_id = cases_sim.create_case(title="checkout 5xx", priority="P2")
    case = cases_stub.GetCase(pb.GetCaseRequest(id=case_id), metadata=TEAM).case
    assert (case.status, case.state, case.priority, case.readable_id) == (
        S.CASE_STATUS_OPEN,
        St.CASE_STATE_ACTIVE,
        case_pb2.CASE_PRIORITY_P2,
        "CASE-1",
    )
    assert case.alert_indicators[0].state == 1  # TRIGGERED
    clock.advance(minutes=1)
    ack = cases_stub.AcknowledgeCase(
        pb.AcknowledgeCaseRequest(id=case_id, actor=case_pb2.UserDetails(user_id="alice@example.com")),
        metadata=TEAM,
    ).case
    assert ack.status == S.CASE_STATUS_ACKNOWLEDGED and ack.HasField("acknowledge_time")
    assert ack.update_time.ToDatetime() > case.update_time.ToDatetime()
    cases_stub.AssignCase(
        pb.AssignCaseRequest(id=case_id, assignee=case_pb2.UserDetails(user_id="bob@example.com")),
        metadata=ALICE,
    )
    resolved = cases_stub.ResolveCase(
        pb.ResolveCaseRequest(id=case_id, reason="rolled back"), metadata=ALICE
    ).case
    assert (resolved.state, resolved.status) == (St.CASE_STATE_RESOLVED, S.CASE_STATUS_ACKNOWLEDGED)
    assert resolved.resolution_details.resolved_by == case_pb2.ResolutionDetails.CASE_RESOLVER_USER
    closed = cases_stub.CloseCase(pb.CloseCaseRequest(id=case_id), metadata=TEAM).case
    assert closed.status == S.CASE_STATUS_CLOSED
    again = cases_stub.CloseCase(pb.CloseCaseRequest(id=case_id), metadata=TEAM).case
    assert again.update_time == closed.update_time  # closing twice changes nothing

    events = events_stub.ListEvents(ev.ListEventsRequest(case_id=case_id), metadata=TEAM).events
    assert [(_data(e), _actor(e)) for e in events] == [
        ("created", "system"),
        ("activated", "system"),
        ("status_changed", "alice@example.com"),  # the request's actor, with the team key
        ("assigned", "alice@example.com"),  # the key's owner: AssignCase has no actor field
        ("resolved", "alice@example.com"),
        ("status_changed", "oncall-bot@example.com"),
    ]
    assert events[4].event_data.resolved.reason == "rolled back"
    assert getattr(events[4].event_data.resolved, "from") == St.CASE_STATE_ACTIVE
    assert events[5].event_data.status_changed.new_status == S.CASE_STATUS_CLOSED


def test_created_then_active_and_the_alert_clearing_and_firing_again(cases_sim: SimulatedCases) -> None:
    case_id = cases_sim.create_case(active=False)
    assert cases_sim.case(case_id).state == St.CASE_STATE_CREATED
    assert cases_sim.activate(case_id).state == St.CASE_STATE_ACTIVE
    cases_sim.acknowledge(case_id, "alice@example.com")
    cleared = cases_sim.auto_resolve(case_id)
    assert cleared.state == St.CASE_STATE_RESOLVED
    assert cleared.resolution_details.resolved_by == case_pb2.ResolutionDetails.CASE_RESOLVER_SYSTEM
    assert cleared.alert_indicators[0].HasField("resolve_time")
    cases_sim.close(case_id, "alice@example.com")
    reopened = cases_sim.retrigger(case_id)
    assert (reopened.status, reopened.state) == (S.CASE_STATUS_OPEN, St.CASE_STATE_ACTIVE)
    assert not reopened.HasField("resolution_details") and not reopened.HasField("acknowledge_time")
    kinds = [(_data(e), _actor(e)) for e in cases_sim.events(case_id)]
    assert kinds[-3:] == [
        ("status_changed", "alice@example.com"),
        ("status_changed", "system"),
        ("activated", "system"),
    ]


def test_transitions_that_make_no_sense_are_refused(
    cases_sim: SimulatedCases, cases_stub: CasesStub, events_stub: EventsStub
) -> None:
    case_id = cases_sim.create_case()
    cases_sim.resolve(case_id, "bob@example.com")
    with pytest.raises(grpc.RpcError) as err:
        cases_stub.AcknowledgeCase(pb.AcknowledgeCaseRequest(id=case_id), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "resolved; it cannot be acknowledged" in err.value.details()
    cases_sim.close(case_id, "bob@example.com")
    for rpc, request in (
        ("AssignCase", pb.AssignCaseRequest(id=case_id, assignee=case_pb2.UserDetails(user_id="a@b"))),
        ("UnassignCase", pb.UnassignCaseRequest(id=case_id)),
        ("ResolveCase", pb.ResolveCaseRequest(id=case_id)),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            getattr(cases_stub, rpc)(request, metadata=TEAM)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION, rpc
    with pytest.raises(InvalidTransition):
        cases_sim.acknowledge(case_id, "bob@example.com")


def test_unknown_and_missing_ids(
    cases_stub: CasesStub, events_stub: EventsStub, cases_sim: SimulatedCases
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        cases_stub.AcknowledgeCase(pb.AcknowledgeCaseRequest(id="nope"), metadata=TEAM)
    assert (err.value.code(), err.value.details()) == (grpc.StatusCode.NOT_FOUND, "case nope not found")
    with pytest.raises(grpc.RpcError) as empty:
        cases_stub.GetCase(pb.GetCaseRequest(), metadata=TEAM)
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as events:
        events_stub.ListEvents(ev.ListEventsRequest(case_id="nope"), metadata=TEAM)
    assert events.value.code() == grpc.StatusCode.NOT_FOUND
    assert [call.code for call in cases_sim.calls] == ["NOT_FOUND", "INVALID_ARGUMENT", "NOT_FOUND"]


WRITES: list[tuple[str, str, Message]] = [
    ("AcknowledgeCase", "case:Acknowledge", pb.AcknowledgeCaseRequest()),
    (
        "AssignCase",
        "case:Assign",
        pb.AssignCaseRequest(assignee=case_pb2.UserDetails(user_id="bob@example.com")),
    ),
    ("UnassignCase", "case:Assign", pb.UnassignCaseRequest()),
    ("ResolveCase", "case:Close", pb.ResolveCaseRequest()),
    ("CloseCase", "case:Close", pb.CloseCaseRequest()),
    ("UpdateCase", "case:Update", pb.UpdateCaseRequest(patch=pb.UpdateCaseRequest.CasePatch(title="t"))),
    ("SetPriorityOverride", "case:Update", pb.SetPriorityOverrideRequest(priority=case_pb2.CASE_PRIORITY_P1)),
    ("UnsetPriorityOverride", "case:Update", pb.UnsetPriorityOverrideRequest()),
]


@pytest.mark.parametrize(("rpc", "permission", "template"), WRITES, ids=[w[0] for w in WRITES])
def test_each_write_needs_its_case_permission(
    cases_sim: SimulatedCases, cases_stub: CasesStub, rpc: str, permission: str, template: Message
) -> None:
    case_id = cases_sim.create_case()
    cases_sim.add_api_key("cx-lacking", "carol@example.com", CASE_PERMISSIONS - {permission})
    request = type(template)()
    request.CopyFrom(template)
    request.id = case_id  # type: ignore[attr-defined]
    before = cases_sim.case(case_id)
    with pytest.raises(grpc.RpcError) as err:
        getattr(cases_stub, rpc)(request, metadata=(("authorization", "Bearer cx-lacking"),))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert err.value.details() == f"permission denied: the API key of carol@example.com lacks {permission}"
    assert cases_sim.case(case_id) == before
    cases_sim.add_api_key("cx-granted", "carol@example.com", {permission})
    getattr(cases_stub, rpc)(request, metadata=(("authorization", "Bearer cx-granted"),))
    assert [call.code for call in cases_sim.calls_to(rpc)] == ["PERMISSION_DENIED", "OK"]


def test_reads_need_case_read(
    cases_sim: SimulatedCases, cases_stub: CasesStub, events_stub: EventsStub
) -> None:
    case_id = cases_sim.create_case()
    cases_sim.add_api_key("cx-writer", "carol@example.com", CASE_PERMISSIONS - {"case:Read"})
    no_read = (("authorization", "Bearer cx-writer"),)
    calls: list[Callable[[], object]] = [
        lambda: cases_stub.GetCase(pb.GetCaseRequest(id=case_id), metadata=no_read),
        lambda: cases_stub.ListCases(pb.ListCasesRequest(), metadata=no_read),
        lambda: events_stub.ListEvents(ev.ListEventsRequest(case_id=case_id), metadata=no_read),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "lacks case:Read" in err.value.details()
    assert cases_stub.GetCase(pb.GetCaseRequest(id=case_id), metadata=READONLY).case.id == case_id
    with pytest.raises(grpc.RpcError) as unknown:
        cases_stub.GetCase(pb.GetCaseRequest(id=case_id), metadata=(("authorization", "Bearer cx-nobody"),))
    assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_incidents_keys_name_no_case_permissions(cases_sim: SimulatedCases) -> None:
    with pytest.raises(ValueError, match="unknown permissions"):
        cases_sim.add_api_key("k", "u@example.com", ["incidents:read"])
    assert cases_sim.api_keys()["cx-team-key"].permissions == CASE_PERMISSIONS
    assert not cases_sim.api_keys()["cx-team-key"].personal


def test_listing_filters_orders_and_pages(
    cases_sim: SimulatedCases, cases_stub: CasesStub, clock: ManualClock
) -> None:
    ids = []
    for n, priority in enumerate(["P3", "P1", "P2", "P1", "P5"]):
        clock.advance(minutes=1)
        ids.append(
            cases_sim.create_case(
                title=f"case {n}", priority=priority, application="shop" if n % 2 else "pay"
            )
        )
    cases_sim.assign(ids[0], "bob@example.com", "alice@example.com")

    def listed(**kwargs: object) -> list[str]:
        request = pb.ListCasesRequest(**kwargs)  # type: ignore[arg-type]
        return [case.id for case in cases_stub.ListCases(request, metadata=TEAM).cases]

    assert listed() == ids[::-1]  # newest created first by default
    by_priority = OrderBy(
        field=OrderBy.CASE_ORDER_BY_FIELD_PRIORITY, direction=OrderBy.CASE_ORDER_BY_DIRECTION_ASCENDING
    )
    assert listed(order_by=by_priority) == [ids[1], ids[3], ids[2], ids[0], ids[4]]  # ties: older first
    by_update = OrderBy(field=OrderBy.CASE_ORDER_BY_FIELD_UPDATED_AT)
    assert listed(order_by=by_update)[0] == ids[0]
    assert set(listed(filters={"priorities": [case_pb2.CASE_PRIORITY_P1]})) == {ids[1], ids[3]}
    shop = {"groupings": [{"key": "coralogix.metadata.applicationName", "values": ["shop"]}]}
    assert set(listed(filters=shop)) == {ids[1], ids[3]}
    assert listed(filters={"assignees": [{"assignee": "bob@example.com"}]}) == [ids[0]]
    assert len(listed(filters={"assignees": [{"unassigned": {}}]})) == 4
    assert listed(filters={"text_search": "CASE-3"}) == [ids[2]]
    assert listed(filters={"text_search": ids[4][:8].upper()}) == [ids[4]]

    first = cases_stub.ListCases(pb.ListCasesRequest(pagination=Page(page_size=2)), metadata=TEAM)
    assert [c.id for c in first.cases] == ids[:2:-1] and first.pagination.total_size == 5
    cases_sim.create_case(title="newer")  # a new case does not shift the next page
    token = first.pagination.next_page_token
    second = cases_stub.ListCases(
        pb.ListCasesRequest(pagination=Page(page_size=2, page_token=token)), metadata=TEAM
    )
    assert [c.id for c in second.cases] == [ids[2], ids[1]]
    skipped = cases_stub.ListCases(pb.ListCasesRequest(pagination=Page(page_size=2, skip=5)), metadata=TEAM)
    assert [c.id for c in skipped.cases] == [ids[0]] and not skipped.pagination.HasField("next_page_token")
    with pytest.raises(grpc.RpcError) as err:
        cases_stub.ListCases(pb.ListCasesRequest(pagination=Page(page_token="garbage")), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_date_range_bounds_creation(
    cases_sim: SimulatedCases, cases_stub: CasesStub, clock: ManualClock
) -> None:
    early = cases_sim.create_case()
    clock.advance(hours=1)
    late = cases_sim.create_case()
    flt = pb.ListCasesRequest()
    getattr(flt.filters.date_range, "from").CopyFrom(cases_sim.case(late).create_time)
    assert [c.id for c in cases_stub.ListCases(flt, metadata=TEAM).cases] == [late]
    flt = pb.ListCasesRequest()
    flt.filters.date_range.to.CopyFrom(cases_sim.case(late).create_time)
    assert [c.id for c in cases_stub.ListCases(flt, metadata=TEAM).cases] == [early]


def test_filter_values(cases_sim: SimulatedCases, cases_stub: CasesStub) -> None:
    for priority in ("P1", "P1", "P4"):
        cases_sim.create_case(priority=priority, application="shop")
    cases_sim.assign(cases_sim.case_ids()[0], "bob@example.com", "bob@example.com")
    values = cases_stub.GetFilterValues(pb.GetFilterValuesRequest(), metadata=TEAM)
    assert {(a.priority, a.count) for a in values.priority_aggregations} == {(1, 2), (4, 1)}
    assert values.assignee_aggregations.unassigned_count == 2
    apps = next(g for g in values.grouping_aggregations if g.key == "coralogix.metadata.applicationName")
    assert [(v.value, v.count) for v in apps.value_counts] == [("shop", 3)]


def test_comments_and_priority_overrides(
    cases_sim: SimulatedCases, cases_stub: CasesStub, events_stub: EventsStub
) -> None:
    case_id = cases_sim.create_case(priority="P3")
    created = events_stub.CreateComment(
        ev.CreateCommentRequest(case_id=case_id, text="on it"), metadata=ALICE
    ).event
    assert (_data(created), _actor(created), created.event_data.comment.unsafe_text) == (
        "comment",
        "alice@example.com",
        "on it",
    )
    updated = events_stub.UpdateComment(
        ev.UpdateCommentRequest(event_id=created.event_id, text="fixed"), metadata=ALICE
    )
    assert updated.event.event_data.comment.unsafe_text == "fixed" and updated.event.HasField("update_time")
    got = events_stub.GetEvent(ev.GetEventRequest(event_id=created.event_id), metadata=TEAM).event
    assert got.event_data.comment.unsafe_text == "fixed"
    first_event = cases_sim.events(case_id)[0].event_id
    with pytest.raises(grpc.RpcError) as err:
        events_stub.UpdateComment(ev.UpdateCommentRequest(event_id=first_event, text="x"), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    events_stub.DeleteComment(ev.DeleteCommentRequest(event_id=created.event_id), metadata=TEAM)
    assert "comment" not in [_data(e) for e in cases_sim.events(case_id)]

    overridden = cases_stub.SetPriorityOverride(
        pb.SetPriorityOverrideRequest(id=case_id, priority=case_pb2.CASE_PRIORITY_P1), metadata=ALICE
    ).case
    assert (overridden.priority, overridden.priority_details.system) == (1, 3)
    restored = cases_stub.UnsetPriorityOverride(
        pb.UnsetPriorityOverrideRequest(id=case_id), metadata=TEAM
    ).case
    assert restored.priority == 3 and not restored.priority_details.HasField("override")
    change = cases_sim.events(case_id)[-2]
    assert (_data(change), _actor(change)) == ("priority_details_changed", "alice@example.com")
    assert getattr(change.event_data.priority_details_changed, "from").system == 3


def test_faults_apply_to_cases(cases_sim: SimulatedCases, cases_stub: CasesStub) -> None:
    cases_sim.faults.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED, rpc="ListCases")
    with pytest.raises(grpc.RpcError) as err:
        cases_stub.ListCases(pb.ListCasesRequest(), metadata=TEAM)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert cases_stub.ListCases(pb.ListCasesRequest(), metadata=TEAM).pagination.total_size == 0


def test_a_cases_server_does_not_answer_incidents(cases_sandbox: RunningCasesSandbox) -> None:
    with grpc.insecure_channel(cases_sandbox.address) as channel:
        stub = incidents_service_pb2_grpc.IncidentsServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.ListIncidents(incidents_service_pb2.ListIncidentsRequest(), metadata=TEAM, timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_generate_is_seeded(clock: ManualClock) -> None:
    first, second = SimulatedCases(seed=5, clock=clock), SimulatedCases(seed=5, clock=clock)
    assert first.generate(15, lifecycle=True) == second.generate(15, lifecycle=True)
    statuses = {first.case(case_id).status for case_id in first.case_ids()}
    assert len(statuses) > 1
    assert [first.case(i) for i in first.case_ids()] == [second.case(i) for i in second.case_ids()]
