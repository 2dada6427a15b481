"""ActionService against the simulated IncidentsService and the Slack sandbox: calls, outcomes, cards."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from bot.actions import CoralogixUserTarget, Me, OutcomeKind, SlackUserTarget
from bot.cards import snapshot_of
from bot.config import Action
from bot.coralogix.client import IncidentsClient
from bot.coralogix.pb import incidents_service_pb2 as svc
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.sandbox.slack import SlackMessage, SlackWorkspace
from bot.store import Store
from tests.actions.conftest import Build, Parts

WRITES = (
    "AcknowledgeIncidents",
    "ResolveIncidents",
    "CloseIncidents",
    "AssignIncidents",
    "UnassignIncidents",
)


def ids_of(request: object) -> list[str]:
    return [value.value for value in request.incident_ids]  # type: ignore[attr-defined]


def writes(sim: SimulatedCoralogix) -> list[str]:
    return [call.rpc for call in sim.calls if call.rpc in WRITES]


def post_cards(parts: Parts, client: IncidentsClient, *incident_ids: str) -> None:
    """As the poller leaves them: each incident's card claimed and posted in its routed channels."""
    for incident in client.batch_get_incidents(list(incident_ids)).found.values():
        deliveries = parts.routes.deliveries(incident)
        for delivery in deliveries:
            parts.store.claim_messages([(incident.id, delivery.channel)], "poller", datetime.now(UTC))
            assert parts.sender.post_card(incident, delivery.channel, delivery.mentions)
        parts.store.upsert_snapshot(snapshot_of(incident, 0, [d.channel for d in deliveries]))


def card(workspace: SlackWorkspace, channel: str, incident_id: str) -> SlackMessage:
    for message in workspace.messages(channel):
        if (message.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id:
            return message
    raise AssertionError(f"no card of {incident_id} in {channel}")


def test_ack_by_a_listed_user_updates_every_card_and_names_them_in_each_thread(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    incident = sim.create_incident(name="checkout 5xx", severity="critical", application="shop")
    post_cards(parts, client, incident)

    report = parts.service.act("U0ALICE", Action.ACK, [incident[:8]], expected_status="triggered")
    parts.settle()

    assert report.outcome_kinds() == [OutcomeKind.DONE]
    [call] = sim.calls_to("AcknowledgeIncidents")
    assert ids_of(call.request) == [incident]
    assert call.api_key == "cx-alice-key"
    for channel in ("C0PAYMENTS", "C0PLATFORM"):
        shown = card(workspace, channel, incident)
        assert shown.updates == 1
        assert shown.metadata["event_payload"]["status"] == "acknowledged"
        assert "incident_ack" not in str(shown.blocks)
        [reply] = workspace.replies(channel, shown.ts)
        assert reply.text == "Acknowledged by <@U0ALICE> from Slack"  # with her own key: no team-key note
    # the poller will not tell the same story again: the snapshot moved on with the action
    assert parts.store.get_snapshot(incident).status.value == "acknowledged"


def test_several_ids_one_call_one_line_each(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    first = sim.create_incident(name="disk full")
    second = sim.create_incident(name="queue lag")
    closed = sim.create_incident(name="old")
    sim.close(closed, by="bob@example.com")
    acked = sim.create_incident(name="seen")
    sim.acknowledge(acked, by="bob@example.com")
    missing = "ffffffff-0000-4000-8000-000000000000"

    report = parts.service.act("U0BOB", Action.ACK, [first, second[:9], closed, acked, missing])

    [call] = sim.calls_to("AcknowledgeIncidents")
    assert ids_of(call.request) == [first, second]
    assert call.user_id == "bob@example.com"  # his own key
    assert report.outcome_kinds() == [
        OutcomeKind.DONE,
        OutcomeKind.DONE,
        OutcomeKind.UNCHANGED,
        OutcomeKind.UNCHANGED,
        OutcomeKind.NOT_FOUND,
    ]
    lines = report.lines
    assert lines[0] == f"`{first[:8]}` disk full acknowledged."
    assert "is closed" in lines[2]
    assert "already acknowledged" in lines[3]
    assert missing in lines[4]


def test_a_batch_refused_as_a_whole_is_retried_one_by_one(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    first, second = sim.create_incident(name="a"), sim.create_incident(name="b")
    sim.faults.fail_next(grpc.StatusCode.FAILED_PRECONDITION, rpc="ResolveIncidents")

    report = parts.service.act("U0ALICE", Action.RESOLVE, [first, second])

    calls = sim.calls_to("ResolveIncidents")
    assert [ids_of(c.request) for c in calls] == [[first, second], [first], [second]]
    assert [c.code for c in calls] == ["FAILED_PRECONDITION", "OK", "OK"]
    assert report.outcome_kinds() == [OutcomeKind.DONE, OutcomeKind.DONE]


def test_coralogix_down_leaves_cards_as_they_were_and_says_so(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    sim.faults.fail_next(grpc.StatusCode.UNAVAILABLE, rpc="CloseIncidents")

    report = parts.service.act("U0LEAD", Action.CLOSE, [incident], expected_status="triggered")
    parts.settle()

    [outcome] = report.outcomes
    assert outcome.kind is OutcomeKind.FAILED
    assert "was not closed: Coralogix is unreachable" in outcome.message
    assert len(sim.calls_to("CloseIncidents")) == 1  # a write is never retried
    shown = card(workspace, "C0PAYMENTS", incident)
    assert shown.updates == 0
    assert workspace.replies("C0PAYMENTS", shown.ts) == []


def test_a_stale_click_redraws_the_card_and_writes_nothing(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build()
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    sim.resolve(incident, by="bob@example.com")  # meanwhile, in Coralogix

    report = parts.service.act("U0ALICE", Action.ACK, [incident], expected_status="triggered")

    [outcome] = report.outcomes
    assert outcome.kind is OutcomeKind.STALE
    assert "it is resolved now" in outcome.message
    assert writes(sim) == []
    shown = card(workspace, "C0PAYMENTS", incident)
    assert shown.updates == 1
    assert shown.metadata["event_payload"]["status"] == "resolved"


def test_refusals_make_no_call_at_all(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    incident = sim.create_incident()
    before = len(sim.calls)

    unmapped = parts.service.act("U0NOMAIL", Action.ACK, [incident])
    not_allowed = parts.service.act("U0BOB", Action.CLOSE, [incident])
    no_target = parts.service.act("U0BOB", Action.ASSIGN, [incident], target=SlackUserTarget("U0NOMAIL"))

    assert unmapped.refusal is not None and "`users:`" in unmapped.refusal
    assert "U0NOMAIL" in unmapped.refusal
    assert not_allowed.refusal == (
        "You don't have the `close` permission: the bot's settings file (`permissions.close`) gives it "
        "to <@U0LEAD> only. Ask whoever runs the bot if you need it."
    )
    assert no_target.refusal is not None and no_target.refusal.startswith("I can't assign to <@U0NOMAIL>.")
    assert sim.calls[before:] == []


def test_personal_key_required_refuses_team_key_users(
    build: Build, sim: SimulatedCoralogix, store: Store
) -> None:
    parts = build(require_personal_key=True, personal_keys=False)
    incident = sim.create_incident()
    before = len(sim.calls)

    refused = parts.service.act("U0BOB", Action.RESOLVE, [incident])
    assert refused.refusal is not None and "`/cx connect`" in refused.refusal
    assert sim.calls[before:] == []

    parts.keys.connect("U0BOB", "bob@example.com", "cx-bob-key")
    done = parts.service.act("U0BOB", Action.ACK, [incident])
    assert done.outcome_kinds() == [OutcomeKind.DONE]
    [call] = sim.calls_to("AcknowledgeIncidents")
    assert (call.api_key, call.user_id) == ("cx-bob-key", "bob@example.com")
    assert sim.events(incident)[-1].acknowledge.acknowledged_by.user_id.value == "bob@example.com"


@pytest.mark.parametrize(
    ("slack_id", "target", "assignee"),
    [
        ("U0ALICE", Me(), "alice@example.com"),  # mapped by the settings file
        ("U0ALICE", SlackUserTarget("U0BOB"), "bob@example.com"),  # mapped by e-mail
        ("U0BOB", SlackUserTarget("U0BOB"), "bob@example.com"),
        ("U0BOB", CoralogixUserTarget("dave@example.com"), "dave@example.com"),
    ],
)
def test_assign_sends_the_assignees_coralogix_user(
    build: Build,
    sim: SimulatedCoralogix,
    slack_id: str,
    target: Me | SlackUserTarget | CoralogixUserTarget,
    assignee: str,
) -> None:
    parts = build()
    incident = sim.create_incident()

    report = parts.service.act(slack_id, Action.ASSIGN, [incident], target=target)
    again = parts.service.act(slack_id, Action.ASSIGN, [incident], target=target)

    [call] = sim.calls_to("AssignIncidents")
    request = call.request
    assert isinstance(request, svc.AssignIncidentsRequest)
    assert request.assigned_to.user_id.value == assignee
    assert ids_of(request) == [incident]
    assert report.outcome_kinds() == [OutcomeKind.DONE]
    assert again.outcome_kinds() == [OutcomeKind.UNCHANGED]


def test_unassign_then_nothing_left_to_unassign(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    incident = sim.create_incident()
    sim.assign(incident, to="bob@example.com", by="bob@example.com")

    assert parts.service.act("U0ALICE", Action.UNASSIGN, [incident]).outcome_kinds() == [OutcomeKind.DONE]
    second = parts.service.act("U0ALICE", Action.UNASSIGN, [incident])
    assert second.outcome_kinds() == [OutcomeKind.UNCHANGED]
    assert "not assigned to anyone" in second.lines[0]
    assert len(sim.calls_to("UnassignIncidents")) == 1


def test_a_permission_the_key_lacks_is_named(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    sim.add_api_key("cx-bob-readonly", "bob@example.com", ["incidents:read"])
    parts.keys.connect("U0BOB", "bob@example.com", "cx-bob-readonly")
    incident = sim.create_incident()

    [outcome] = parts.service.act("U0BOB", Action.ACK, [incident]).outcomes

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.message.endswith(
        "was not acknowledged: Your personal API key lacks the incidents:acknowledge permission in Coralogix."
    )


def test_prefixes_too_short_or_unknown(build: Build, sim: SimulatedCoralogix) -> None:
    parts = build()
    incident = sim.create_incident()

    report = parts.service.act("U0ALICE", Action.ACK, ["abc", "00000000"])

    assert report.outcome_kinds() == [OutcomeKind.NOT_FOUND, OutcomeKind.NOT_FOUND]
    assert "too short" in report.lines[0]
    assert "No incident has the id `00000000`" in report.lines[1]
    assert writes(sim) == []
    upper = parts.service.act("U0ALICE", Action.ACK, [incident[:12].upper()])
    assert upper.outcome_kinds() == [OutcomeKind.DONE]
