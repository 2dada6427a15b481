"""Whose key acts, on each backend: Incidents wants the person's own key to acknowledge and assign; Cases
names the person as `actor` on acknowledge and takes the team key for the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.actions import OutcomeKind, SlackUserTarget
from bot.config import Action
from bot.coralogix.cases_client import CasesClient
from bot.coralogix.channel import open_channel
from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import RunningCasesSandbox, SimulatedCases, SimulatedCoralogix
from bot.sandbox.coralogix.server import start_cases_sandbox
from bot.sandbox.slack import SlackWorkspace
from tests.actions.conftest import TEAM_KEY, Build
from tests.actions.test_service import card, post_cards


def test_on_incidents_a_team_key_never_acknowledges_or_assigns(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient
) -> None:
    parts = build(personal_keys=False)
    incident = sim.create_incident(application="shop")

    ack = parts.service.act("U0BOB", Action.ACK, [incident])
    assign = parts.service.act("U0BOB", Action.ASSIGN, [incident], target=SlackUserTarget("U0CAROL"))
    resolve = parts.service.act("U0BOB", Action.RESOLVE, [incident])

    assert ack.needs_personal_key and assign.needs_personal_key
    assert ack.refusal is not None and "acknowledging needs your own API key" in ack.refusal
    assert sim.calls_to("AcknowledgeIncidents") == [] and sim.calls_to("AssignIncidents") == []
    assert resolve.outcome_kinds() == [OutcomeKind.DONE]
    [call] = sim.calls_to("ResolveIncidents")
    assert call.api_key == TEAM_KEY


def test_the_stand_in_refuses_a_team_key_as_the_real_service_does(client: IncidentsClient) -> None:
    from bot.errors import CoralogixPermissionError

    with pytest.raises(CoralogixPermissionError):
        client.acknowledge(["any"], api_key=TEAM_KEY)


def test_with_a_personal_key_the_person_acknowledges_as_themselves(
    build: Build, sim: SimulatedCoralogix, client: IncidentsClient, workspace: SlackWorkspace
) -> None:
    parts = build(personal_keys=False)
    incident = sim.create_incident(application="shop")
    post_cards(parts, client, incident)
    parts.keys.connect("U0BOB", "bob@example.com", "cx-bob-key")

    report = parts.service.act("U0BOB", Action.ACK, [incident], expected_status="triggered")
    parts.settle()

    assert report.outcome_kinds() == [OutcomeKind.DONE]
    [call] = sim.calls_to("AcknowledgeIncidents")
    assert (call.api_key, call.user_id) == ("cx-bob-key", "bob@example.com")
    thread = workspace.replies("C0PAYMENTS", card(workspace, "C0PAYMENTS", incident).ts)
    assert [r.text for r in thread if "Acknowledged" in r.text] == ["Acknowledged by <@U0BOB> from Slack"]


@pytest.fixture
def cases() -> Iterator[RunningCasesSandbox]:
    running = start_cases_sandbox(SimulatedCases(seed=17))
    yield running
    running.stop()


@pytest.fixture
def cases_client(cases: RunningCasesSandbox) -> Iterator[CasesClient]:
    made = CasesClient(open_channel(cases.address, insecure=True), TEAM_KEY, timeout=5.0)
    yield made
    made.close_channel()


def test_on_cases_the_team_key_acknowledges_naming_the_person_as_actor(
    build: Build, cases: RunningCasesSandbox, cases_client: CasesClient, workspace: SlackWorkspace
) -> None:
    parts = build(client=cases_client)
    case_id = cases.sim.create_incident(application="shop", severity="critical")
    post_cards(parts, cases_client, case_id)

    ack = parts.service.act("U0BOB", Action.ACK, [case_id], expected_status="triggered")
    close = parts.service.act("U0LEAD", Action.CLOSE, [case_id])
    parts.settle()

    assert ack.outcome_kinds() == [OutcomeKind.DONE]
    assert close.outcome_kinds() == [OutcomeKind.DONE]
    [call] = cases.sim.calls_to("AcknowledgeCase")
    assert call.api_key == TEAM_KEY
    assert call.request.actor.user_id == "bob@example.com"
    thread = [r.text for r in workspace.replies("C0PAYMENTS", card(workspace, "C0PAYMENTS", case_id).ts)]
    assert "Acknowledged by <@U0BOB> from Slack" in thread  # Coralogix records Bob: no team-key note
    assert any(line.startswith("Closed by <@U0LEAD>") and "team API key" in line for line in thread)


def test_an_id_of_the_other_api_is_not_found_and_nothing_is_written(
    build: Build, sim: SimulatedCoralogix, cases: RunningCasesSandbox, cases_client: CasesClient
) -> None:
    incident = sim.create_incident(application="shop")
    case_id = cases.sim.create_incident(application="shop")

    on_cases = build(client=cases_client).service.act("U0LEAD", Action.RESOLVE, [incident])
    on_incidents = build().service.act("U0LEAD", Action.RESOLVE, [case_id])

    assert on_cases.outcome_kinds() == [OutcomeKind.NOT_FOUND]
    assert on_incidents.outcome_kinds() == [OutcomeKind.NOT_FOUND]
    assert cases.sim.calls_to("ResolveCase") == [] and sim.calls_to("ResolveIncidents") == []


def test_a_cases_write_that_fails_half_way_never_repeats_what_was_done(
    build: Build, cases: RunningCasesSandbox, cases_client: CasesClient
) -> None:
    import grpc

    parts = build(client=cases_client)
    first, second = (cases.sim.create_incident(application="shop") for _ in range(2))
    cases.sim.faults.fail_next(grpc.StatusCode.FAILED_PRECONDITION, rpc="ResolveCase", skip=1)

    report = parts.service.act("U0LEAD", Action.RESOLVE, [first, second])

    assert report.outcome_kinds() == [OutcomeKind.DONE, OutcomeKind.FAILED]
    resolved = [call.request.id for call in cases.sim.calls_to("ResolveCase")]
    assert sorted(resolved) == sorted([first, second])  # one call each: the done one was not repeated
