"""Issue 9 end to end: a running bot tried as an attacker would, over HTTP, against the two sandboxes.

Each attack is refused or harmless: nothing is written in the simulated Coralogix, and the person is
told why. One bot serves the module; each test works on incidents of its own.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.sandbox.slack import SlackMessage, SlackWorkspace, start_slack_sandbox
from tests.e2e.harness import bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, block_actions
from tests.e2e.stand_in import Account, Api, start_stand_in
from tests.e2e.test_interactivity import World

WRITES = (
    "AcknowledgeIncidents",
    "ResolveIncidents",
    "CloseIncidents",
    "AssignIncidents",
    "UnassignIncidents",
)
CONFIG = {
    "routes": [
        {
            "name": "team-a",
            "match": {"application": "shop"},
            "channels": ["C0PAYMENTS"],
            "responders": ["S0TEAMA"],
        },
        {
            "name": "team-b",
            "match": {"application": "search"},
            "channels": ["C0SEARCH"],
            "responders": ["U0CAROL"],
        },
    ],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
}


def writes(sim: Account) -> list[str]:
    """Every write the stand-in received."""
    return [call.rpc for rpc in WRITES for call in sim.calls_to(rpc)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, coralogix_api: Api) -> Iterator[World]:
    """The same attacks on a bot whose account speaks Incidents, then on one that speaks Cases."""
    tmp = tmp_path_factory.mktemp(f"trust-{coralogix_api}")
    coralogix = start_stand_in(coralogix_api, seed=9)
    workspace = SlackWorkspace.with_defaults()
    workspace.add_user("U0MALLORY", "mallory", "mallory@attacker.example", is_restricted=True)
    workspace.add_user("U0EVE", "eve", "eve@attacker.example")
    for number in range(6):
        workspace.add_user(f"U0PACE{number}", f"pace{number}", f"pace{number}@example.com")
    workspace.add_usergroup("S0TEAMA", "team-a", ["U0ALICE", "U0BOB", "U0LEAD", "U0MALLORY", "U0EVE"])
    slack = start_slack_sandbox(workspace)
    db_path = tmp / "bot.db"
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{db_path}",
        config_path=write_config(tmp / "bot.yaml", CONFIG),
        port=free_port(),
        extra={"BOT_ENCRYPTION_KEY": Fernet.generate_key().decode()},
    )
    try:
        with running_bot(env, tmp / "bot.log") as bot:
            yield World(coralogix.sim, workspace, bot, SlackSender(bot.url + "/slack/events"), db_path)
    finally:
        slack.stop()
        coralogix.stop()


def problem_to(world: World, response_url: str) -> str:
    return world.answer_to(response_url, "the refusal")


def test_a_guest_and_an_outsider_cannot_act_and_are_told_who_they_are_not(world: World) -> None:
    incident = world.sim.create_incident(application="shop")
    card = world.card("C0PAYMENTS", incident)
    before = writes(world.sim)

    for user in ("U0MALLORY", "U0EVE"):
        said = problem_to(world, world.click(card, "incident_resolve", user=user))
        assert "I don't know who" in said
        answer, response_url, _ = world.command("whoami", user=user)
        assert answer.status == 200
        whoami = world.answer_to(response_url)
        assert "in Coralogix you are" not in whoami
        assert "attacker.example" not in whoami
    assert "guests" in problem_to(world, world.click(card, "incident_ack", user="U0MALLORY"))
    assert writes(world.sim) == before


def test_a_forged_button_value_does_not_act_on_another_teams_incident(world: World) -> None:
    mine = world.sim.create_incident(application="shop")
    theirs = world.sim.create_incident(application="search")
    card = world.card("C0PAYMENTS", mine)
    world.card("C0SEARCH", theirs)
    forged = _with_value_for(card, theirs)

    said = problem_to(world, world.click(forged, "incident_resolve", user="U0ALICE"))

    assert "does not belong to the incident card" in said
    assert world.calls("ResolveIncidents", theirs) == []
    assert "refused a resolve click by U0ALICE" in world.bot.log()


def test_a_command_in_one_teams_channel_cannot_act_on_the_other_teams_incident(world: World) -> None:
    theirs = world.sim.create_incident(application="search")
    world.card("C0SEARCH", theirs)

    answer, response_url, _ = world.command(f"resolve {theirs}", user="U0ALICE", channel="C0PAYMENTS")

    assert answer.status == 200
    said = world.answer_to(response_url)
    assert "*team-b* owns this incident" in said and "<@U0CAROL>" in said
    assert world.calls("ResolveIncidents", theirs) == []


def test_a_raw_foreign_email_is_never_sent_as_the_assignee(world: World) -> None:
    incident = world.sim.create_incident(application="shop")
    world.card("C0PAYMENTS", incident)

    _, response_url, _ = world.command(f"assign {incident} evil@attacker.example", user="U0ALICE")

    assert "not someone the bot can map" in world.answer_to(response_url)
    assert world.calls("AssignIncidents", incident) == []


def test_reads_cost_a_bounded_number_of_calls(world: World) -> None:
    lists_before = len(world.sim.calls_to("ListIncidents"))
    answer, _, _ = world.command("list status=all limit=1 page=1000", user="U0ALICE")
    assert answer.status == 200 and "page" in answer.body  # refused at once, as a usage message
    _, unmapped_url, _ = world.command("list status=all limit=1 page=10", user="U0MALLORY")
    assert "I don't know who" in world.answer_to(unmapped_url)
    fifty = " ".join(f"{n:08x}" for n in range(50))
    _, fifty_url, _ = world.command(f"ack {fifty}", user="U0BOB")
    assert "at most 20 incidents" in world.answer_to(fifty_url)
    fifteen = " ".join(f"{n:08x}" for n in range(15))
    _, fifteen_url, _ = world.command(f"resolve {fifteen}", user="U0LEAD")
    assert "at most 3 partial ids" in world.answer_to(fifteen_url)

    # the commands' reads are id searches (the poller's reads meanwhile, as many as the load makes, are not)
    sim = world.sim
    searches = [c for c in sim.calls_to("ListIncidents")[lists_before:] if sim.id_search(c.request)]
    assert len(searches) <= 3


def test_simultaneous_resolves_make_one_write_and_one_thread_line(world: World) -> None:
    incident = world.sim.create_incident(application="shop")
    card = world.card("C0PAYMENTS", incident)
    world.sim.faults.slow(0.5, rpc="ResolveIncidents")
    users = ["U0ALICE", "U0BOB", "U0LEAD", "U0ALICE", "U0BOB"]
    bodies = [block_actions(world.workspace, card, "incident_resolve", user=user)[0] for user in users]
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def click(body: bytes) -> None:
        start.wait()
        statuses.append(world.slack.post(body).status)

    try:
        threads = [threading.Thread(target=click, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        world.thread_says("C0PAYMENTS", incident, "Resolved by")
    finally:
        world.sim.faults.slow(0, rpc="ResolveIncidents")
    assert statuses == [200] * len(bodies)
    wait_for(lambda: len(world.workspace.responses()) > 0, 10, "the answers to the clicks")
    assert len(world.calls("ResolveIncidents", incident)) == 1
    assert len(world.thread_says("C0PAYMENTS", incident, "Resolved by")) == 1


def test_one_person_cannot_flood_the_bot(world: World) -> None:
    answers = [world.command("whoami", user="U0PACE1")[0] for _ in range(26)]
    too_fast = [answer for answer in answers if "going faster than the bot allows" in answer.body]
    assert all(answer.status == 200 for answer in answers)
    assert too_fast, "the pace never held anyone back"
    assert "going faster" not in world.command("whoami", user="U0PACE2")[0].body  # others are not slowed


def _with_value_for(card: SlackMessage, incident_id: str) -> SlackMessage:
    """The same card (same channel and ts), its buttons' values rewritten to name another incident."""
    blocks: list[dict[str, Any]] = copy.deepcopy(card.blocks)
    for block in blocks:
        for element in block.get("elements", []):
            if isinstance(element, dict) and "value" in element:
                value = json.loads(element["value"])
                value["incident_id"] = incident_id
                element["value"] = json.dumps(value)
    return dataclasses.replace(card, blocks=blocks)


def test_a_resolve_answered_after_the_deadline_is_reported_as_done(world: World) -> None:
    incident = world.sim.create_incident(application="shop")
    card = world.card("C0PAYMENTS", incident)
    world.sim.faults.answer_late(11.0, rpc="ResolveIncidents")  # the bot's deadline is 10 s
    try:
        world.click(card, "incident_resolve", user="U0BOB")
        wait_for(lambda: f"resolve of {incident} confirmed late" in world.bot.log(), 25, "the read-back")
    finally:
        world.sim.faults.answer_late(0, rpc="ResolveIncidents")
    assert len(world.thread_says("C0PAYMENTS", incident, "Resolved by")) == 1
    assert "was not resolved" not in json.dumps(world.workspace.responses())
    wait_for(lambda: world.calls("ResolveIncidents", incident), 10, "the late answer to be recorded")
    assert len(world.calls("ResolveIncidents", incident)) == 1
