"""The service as the only gate: responders, cards, assignees, call budgets, one write per intent."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
import pytest

from bot.actions import CardOrigin, CoralogixUserTarget, OutcomeKind, SlackUserTarget
from bot.config import Action
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.coralogix.pb import incident_status_pb2
from bot.sandbox.coralogix import RunningCoralogixSandbox, SimulatedCoralogix
from bot.sandbox.slack import SlackWorkspace
from tests.actions.conftest import ROUTING, TEAM_KEY, Build
from tests.actions.test_service import card, post_cards, writes
from tests.e2e.harness import wait_for

WITH_RESPONDERS = {
    **ROUTING,
    "routes": [
        {"name": "payments", "match": {"application": ["shop"]}, "channels": ["C0PAYMENTS"]},
        {
            "name": "search",
            "match": {"application": ["search"]},
            "channels": ["C0SEARCH"],
            "responders": ["U0CAROL", "S0LEADS"],
        },
    ],
}


@pytest.fixture
def client(coralogix: RunningCoralogixSandbox) -> Iterator[IncidentsClient]:
    """A client whose deadline is short, so a late answer is late within a test's patience."""
    made = IncidentsClient(open_channel(coralogix.address, insecure=True), TEAM_KEY, timeout=1.0)
    yield made
    made.close_channel()


def test_a_route_with_responders_lets_only_them_act(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    workspace.add_usergroup("S0LEADS", "leads", ["U0LEAD"])
    parts = build(WITH_RESPONDERS)
    search = sim.create_incident(application="search")

    bob = parts.service.act("U0BOB", Action.RESOLVE, [search])
    lead = parts.service.act("U0LEAD", Action.RESOLVE, [search])

    assert bob.outcome_kinds() == [OutcomeKind.REFUSED]
    assert "*search* owns this incident" in bob.outcomes[0].message
    assert "<@U0CAROL>, <!subteam^S0LEADS>" in bob.outcomes[0].message
    assert lead.outcome_kinds() == [OutcomeKind.DONE]
    assert writes(sim) == ["ResolveIncidents"]


def test_a_failed_group_lookup_refuses_instead_of_guessing(
    build: Build, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    routes = [{**WITH_RESPONDERS["routes"][1], "responders": ["U0CAROL", "S0GHOSTS"]}]  # type: ignore[index]
    parts = build({**ROUTING, "routes": routes})  # Slack knows no S0GHOSTS: no_such_subteam
    search = sim.create_incident(application="search")

    report = parts.service.act("U0LEAD", Action.RESOLVE, [search])

    assert report.outcome_kinds() == [OutcomeKind.REFUSED]
    assert "<!subteam^S0GHOSTS>" in report.outcomes[0].message
    assert writes(sim) == []


def test_permissions_name_user_groups(
    build: Build, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    workspace.add_usergroup("S0LEADS", "leads", ["U0BOB"])
    parts = build({**ROUTING, "permissions": {"close": ["S0LEADS"]}})
    incident = sim.create_incident(application="shop")

    carol = parts.service.act("U0CAROL", Action.CLOSE, [incident])
    bob = parts.service.act("U0BOB", Action.CLOSE, [incident])

    assert carol.refusal is not None and "<!subteam^S0LEADS>" in carol.refusal
    assert bob.outcome_kinds() == [OutcomeKind.DONE]
    assert writes(sim) == ["CloseIncidents"]


def test_a_click_acts_only_on_the_incident_of_its_card(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    mine = sim.create_incident(application="shop")
    other = sim.create_incident(application="shop")
    post_cards(parts, client, mine, other)
    on = card(workspace, "C0PAYMENTS", mine)

    forged = parts.service.act("U0ALICE", Action.RESOLVE, [other], origin=CardOrigin("C0PAYMENTS", on.ts))
    unknown = parts.service.act("U0ALICE", Action.RESOLVE, [mine], origin=CardOrigin("C0PAYMENTS", "1.000"))
    honest = parts.service.act("U0ALICE", Action.RESOLVE, [mine], origin=CardOrigin("C0PAYMENTS", on.ts))

    assert forged.refusal is not None and "does not belong to the incident card" in forged.refusal
    assert unknown.refusal is not None
    assert honest.outcome_kinds() == [OutcomeKind.DONE]
    assert [
        incident_ids for incident_ids in (c.request.incident_ids for c in sim.calls_to("ResolveIncidents"))
    ]
    assert [v.value for c in sim.calls_to("ResolveIncidents") for v in c.request.incident_ids] == [mine]


def test_assignees_must_be_people_the_bot_can_map(
    build: Build, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    workspace.add_user("U0GUESTX", "guest", "guest@example.com", is_restricted=True)
    parts = build()
    incident = sim.create_incident(application="shop")

    foreign = parts.service.act(
        "U0ALICE", Action.ASSIGN, [incident], target=CoralogixUserTarget("evil@attacker.example")
    )
    guest = parts.service.act("U0ALICE", Action.ASSIGN, [incident], target=SlackUserTarget("U0GUESTX"))
    listed = parts.service.act(
        "U0BOB", Action.ASSIGN, [incident], target=CoralogixUserTarget("Bob@Example.com")
    )

    assert foreign.refusal is not None and "not someone the bot can map" in foreign.refusal
    assert guest.refusal is not None and "guests" in guest.refusal
    assert listed.outcome_kinds() == [OutcomeKind.DONE]
    [call] = sim.calls_to("AssignIncidents")
    assert call.request.assigned_to.user_id.value == "bob@example.com"


def test_prefix_searches_are_capped_per_command(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    prefixes = [f"{n:08x}" for n in range(15)]

    report = parts.service.act("U0ALICE", Action.ACK, prefixes)

    assert report.outcome_kinds() == [OutcomeKind.NOT_FOUND] * 15
    assert len(sim.calls_to("ListIncidents")) == 3
    assert len(sim.calls_to("BatchGetIncident")) == 1
    assert "at most 3 partial ids" in report.outcomes[-1].message


def test_too_many_incidents_in_one_command_is_refused_before_any_call(
    build: Build, sim: SimulatedCoralogix
) -> None:
    parts = build()
    report = parts.service.act("U0ALICE", Action.ACK, [f"id-{n}" for n in range(21)])
    assert report.refusal is not None and "at most 20" in report.refusal
    assert sim.calls == []


def test_simultaneous_clicks_make_one_write_and_one_thread_line(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    sim.faults.slow(0.3, rpc="ResolveIncidents")  # keep the first write in flight while others arrive
    clickers = ["U0ALICE", "U0BOB", "U0CAROL", "U0LEAD", "U0BOB"]
    start = threading.Barrier(len(clickers))
    kinds: list[OutcomeKind] = []

    def click(user: str) -> None:
        start.wait()
        report = parts.service.act(user, Action.RESOLVE, [incident], expected_status="triggered")
        kinds.extend(outcome.kind for outcome in report.outcomes)

    threads = [threading.Thread(target=click, args=(user,)) for user in clickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    parts.settle()

    assert len(kinds) == len(clickers)
    assert len(sim.calls_to("ResolveIncidents")) == 1
    assert kinds.count(OutcomeKind.DONE) == 1
    assert all(
        kind in (OutcomeKind.DUPLICATE, OutcomeKind.STALE, OutcomeKind.UNCHANGED)
        for kind in kinds
        if kind is not OutcomeKind.DONE
    )
    thread = workspace.replies("C0PAYMENTS", card(workspace, "C0PAYMENTS", incident).ts)
    assert sum("Resolved by" in reply.text for reply in thread) == 1


def test_assigning_to_someone_else_right_after_is_another_intent(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)

    first = parts.service.act("U0ALICE", Action.ASSIGN, [incident], target=SlackUserTarget("U0BOB"))
    second = parts.service.act("U0BOB", Action.ASSIGN, [incident], target=SlackUserTarget("U0CAROL"))

    assert first.outcome_kinds() == [OutcomeKind.DONE]
    assert second.outcome_kinds() == [OutcomeKind.DONE]
    assert len(sim.calls_to("AssignIncidents")) == 2


def test_a_write_answered_after_the_deadline_is_read_back_and_reported_done(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    sim.faults.answer_late(2.0, rpc="AcknowledgeIncidents")  # done at once, answered after the 1 s deadline

    report = parts.service.act("U0ALICE", Action.ACK, [incident], expected_status="triggered")
    parts.settle()

    [outcome] = report.outcomes
    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert "answered late, but it is done" in outcome.message
    assert sim.incident(incident).status == incident_status_pb2.INCIDENT_STATUS_ACKNOWLEDGED
    thread = workspace.replies("C0PAYMENTS", card(workspace, "C0PAYMENTS", incident).ts)
    assert any("Acknowledged by <@U0ALICE>" in reply.text for reply in thread)
    wait_for(lambda: sim.calls_to("AcknowledgeIncidents"), 10, "the late answer to be recorded")
    assert len(sim.calls_to("AcknowledgeIncidents")) == 1


def test_a_write_still_unanswered_is_reported_unknown_with_where_to_look(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    sim.faults.slow(2.0, rpc="AcknowledgeIncidents")  # not applied until after the deadline and the re-read

    report = parts.service.act("U0ALICE", Action.ACK, [incident], expected_status="triggered")

    [outcome] = report.outcomes
    assert outcome.kind is OutcomeKind.UNKNOWN
    assert "can't tell yet" in outcome.message and "was not" not in outcome.message
    assert f"/cx show {incident}" in outcome.message
    # the claim is held: a second click does not send a second write while the first may land
    again = parts.service.act("U0BOB", Action.ACK, [incident])
    assert again.outcome_kinds() == [OutcomeKind.DUPLICATE]
    wait_for(lambda: sim.calls_to("AcknowledgeIncidents"), 10, "the slow write to be carried out")
    assert len(sim.calls_to("AcknowledgeIncidents")) == 1


def test_a_batch_that_may_have_been_written_is_read_back_not_written_again(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient
) -> None:
    parts = build()
    first, second = sim.create_incident(application="shop"), sim.create_incident(application="shop")
    sim.faults.fail_next(grpc.StatusCode.INTERNAL, rpc="ResolveIncidents")  # no telling whether it happened

    report = parts.service.act("U0ALICE", Action.RESOLVE, [first, second])

    assert report.outcome_kinds() == [OutcomeKind.UNKNOWN, OutcomeKind.UNKNOWN]
    assert len(sim.calls_to("ResolveIncidents")) == 1


def test_a_click_on_a_card_posted_but_not_yet_recorded_waits_for_the_record(
    build: Build, sim: SimulatedCoralogix
) -> None:
    """Slack shows a card as soon as it answers the post; a click in the moment before the sender records
    the card's ts must not be refused as a button that does not belong to its card."""
    parts = build()
    incident = sim.create_incident(application="shop")
    assert parts.store.claim_message(incident, "C0PAYMENTS", "another-replica")
    recorder = threading.Timer(  # the sender, recording the post a moment after Slack answered it
        0.3, parts.store.record_posted, args=(incident, "C0PAYMENTS", "5.000001", "5.000001", None)
    )
    recorder.start()
    try:
        report = parts.service.act(
            "U0ALICE", Action.RESOLVE, [incident], origin=CardOrigin("C0PAYMENTS", "5.000001")
        )
    finally:
        recorder.join()
    assert report.refusal is None
    assert report.outcome_kinds() == [OutcomeKind.DONE]
