"""Issue 17 end to end: the real bot on an account that answers Cases only (CORALOGIX_API=auto).

Cards, threads, clicks and commands work as on Incidents; acknowledging names the clicker as `actor`
with the team key; a case's priority shows on its card and comments reach the thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.coralogix.pb.cases import case_pb2
from bot.sandbox.coralogix import SimulatedCases
from bot.sandbox.coralogix.server import start_cases_sandbox, start_no_api_sandbox
from bot.sandbox.slack import SlackWorkspace, start_slack_sandbox
from tests.e2e.harness import bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender
from tests.e2e.stand_in import Account
from tests.e2e.test_interactivity import World

CONFIG = {
    "routes": [{"name": "shop", "match": {"application": "shop"}, "channels": ["C0PAYMENTS"]}],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["U0LEAD"]},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("cases")
    cases = start_cases_sandbox(SimulatedCases(seed=23))
    slack = start_slack_sandbox(SlackWorkspace.with_defaults())
    env = bot_env(
        cases,  # type: ignore[arg-type]  # bot_env reads only `.address`
        slack,
        f"sqlite:///{tmp / 'bot.db'}",
        config_path=write_config(tmp / "bot.yaml", CONFIG),
        port=free_port(),
        extra={"BOT_ENCRYPTION_KEY": Fernet.generate_key().decode()},
    )
    try:
        with running_bot(env, tmp / "bot.log") as bot:
            sender = SlackSender(bot.url + "/slack/events")
            yield World(Account(cases.sim), slack.workspace, bot, sender, tmp / "bot.db")
    finally:
        slack.stop()
        cases.stop()


def _case_calls(world: World, rpc: str, case_id: str) -> list[object]:
    return [call for call in world.sim.calls_to(rpc) if case_id in str(call.request)]


def test_auto_finds_cases_and_a_new_case_gets_a_card_with_its_priority(world: World) -> None:
    case_id = world.sim.create_incident(name="checkout 5xx", severity="critical", application="shop")
    card = world.card("C0PAYMENTS", case_id)
    assert "(P1)" in json.dumps(card.blocks)
    wait_for(lambda: "Coralogix API in use: cases" in world.bot.log(), 10, "the API named in the log")


def test_acknowledge_names_the_clicker_as_actor_and_close_goes_through_the_team_key(world: World) -> None:
    case_id = world.sim.create_incident(name="queue lag", severity="error", application="shop")
    card = world.card("C0PAYMENTS", case_id)

    world.click(card, "incident_ack", user="U0BOB")
    [ack] = wait_for(lambda: _case_calls(world, "AcknowledgeCase", case_id), 10, "the acknowledgement")
    assert ack.api_key == "cx-team-key"  # type: ignore[attr-defined]
    assert ack.request.actor.user_id == "bob@example.com"  # type: ignore[attr-defined]
    world.thread_says("C0PAYMENTS", case_id, "Acknowledged by <@U0BOB> from Slack")
    world.card_when("C0PAYMENTS", case_id, lambda m: "incident_ack" not in str(m.blocks), "acknowledged")

    card = world.card("C0PAYMENTS", case_id)
    world.click(card, "incident_close", user="U0LEAD")
    wait_for(lambda: _case_calls(world, "CloseCase", case_id), 10, "the close")
    [line] = world.thread_says("C0PAYMENTS", case_id, "Closed by <@U0LEAD>")
    assert "team API key" in line


def test_a_comment_in_coralogix_reaches_the_thread(world: World) -> None:
    case_id = world.sim.create_incident(name="disk full", severity="warning", application="shop")
    world.card("C0PAYMENTS", case_id)
    world.sim.comment(case_id, "looking at the *disks* now", by="carol@example.com")
    [line] = world.thread_says("C0PAYMENTS", case_id, "Comment by")
    assert "looking at the" in line and "*disks*" not in line  # shown as text, never as formatting


def test_commands_list_and_resolve_work_on_cases(world: World) -> None:
    case_id = world.sim.create_incident(name="cache misses", severity="error", application="shop")
    world.card("C0PAYMENTS", case_id)

    _, listed, _ = world.command("list", user="U0ALICE")
    assert "cache misses" in world.answer_to(listed)
    _, who, _ = world.command("whoami", user="U0BOB")
    assert "uses Cases: acknowledging names you as the actor" in world.answer_to(who)
    _, resolved, _ = world.command(f"resolve {case_id}", user="U0ALICE")
    assert "resolved" in world.answer_to(resolved)
    assert _case_calls(world, "ResolveCase", case_id)


def test_check_and_run_refuse_an_account_that_answers_neither_api(tmp_path: Path) -> None:
    neither = start_no_api_sandbox()
    slack = start_slack_sandbox(SlackWorkspace.with_defaults())
    try:
        env = bot_env(
            neither,  # type: ignore[arg-type]
            slack,
            f"sqlite:///{tmp_path / 'bot.db'}",
            config_path=None,
            port=free_port(),
        )
        checked = subprocess.run(
            [sys.executable, "-m", "bot", "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 1
        assert "answers neither IncidentsService nor CasesService" in checked.stdout
        ran = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert ran.returncode == 1
        assert "answers neither IncidentsService nor CasesService" in ran.stdout + ran.stderr
        assert "Traceback" not in ran.stdout + ran.stderr
    finally:
        slack.stop()
        neither.stop()


def test_check_names_the_api_it_found(tmp_path: Path) -> None:
    cases = start_cases_sandbox(SimulatedCases(seed=3))
    slack = start_slack_sandbox(SlackWorkspace.with_defaults())
    try:
        env = bot_env(cases, slack, f"sqlite:///{tmp_path / 'bot.db'}", config_path=None, port=free_port())  # type: ignore[arg-type]
        checked = subprocess.run(
            [sys.executable, "-m", "bot", "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (
            "Cases API (found by CORALOGIX_API=auto: the account answers CasesService only" in checked.stdout
        )
        env["CORALOGIX_API"] = "incidents"
        forced = subprocess.run(
            [sys.executable, "-m", "bot", "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert forced.returncode == 1  # told to use Incidents, on an account that answers Cases only
    finally:
        slack.stop()
        cases.stop()


def test_a_team_key_without_case_acknowledge_is_named_and_nothing_is_written(world: World) -> None:
    case_id = world.sim.create_incident(name="no ack right", severity="error", application="shop")
    card = world.card("C0PAYMENTS", case_id)
    team = world.sim.api_key("cx-team-key")
    # the account's admin takes case:Acknowledge from the bot's key while it runs
    world.sim.add_api_key(
        "cx-team-key", team.user_id, team.permissions - {"case:Acknowledge"}, personal=team.personal
    )
    try:
        said = world.answer_to(world.click(card, "incident_ack", user="U0BOB"), "the refusal")
        _, typed, _ = world.command(f"ack {case_id}", user="U0BOB")
        said_to_command = world.answer_to(typed, "the refusal of the command")
    finally:
        world.sim.add_api_key("cx-team-key", team.user_id, team.permissions, personal=team.personal)

    assert "The bot's team API key lacks the case:Acknowledge permission in Coralogix" in said
    assert "case:Acknowledge" in said_to_command
    refused = _case_calls(world, "AcknowledgeCase", case_id)
    assert [call.code for call in refused] == ["PERMISSION_DENIED"] * 2  # type: ignore[attr-defined]
    assert world.sim.case(case_id).status == case_pb2.CASE_STATUS_OPEN  # nothing written
    assert world.workspace.message("C0PAYMENTS", card.ts).updates == 0
    assert world.workspace.replies("C0PAYMENTS", card.ts) == []
