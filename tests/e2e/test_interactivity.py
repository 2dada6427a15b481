"""Issue 4 end to end: signed Slack requests to the running bot, against the two sandboxes over sockets.

One bot process serves the whole module, once on an account that speaks Incidents and once on one that
speaks Cases (`coralogix_api`); each test works on incidents of its own (and, where cards are needed, in
channels of its own), so the checks do not see each other's calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import grpc
import pytest
from cryptography.fernet import Fernet

from bot.sandbox.coralogix import RecordedCall, SimulatedCases, SimulatedCoralogix
from bot.sandbox.slack import SlackMessage, SlackWorkspace, start_slack_sandbox
from tests.e2e.harness import (
    PERSONAL_KEYS,
    BotProcess,
    bot_env,
    free_port,
    running_bot,
    seed_personal_keys,
    wait_for,
    write_config,
)
from tests.e2e.slack_requests import (
    Answer,
    SlackSender,
    block_actions,
    signature,
    slash_command,
    view_submission,
)
from tests.e2e.stand_in import CASES_RPC, WHOAMI_SAYS, Account, Api, start_stand_in
from tests.e2e.stand_in import ids_of as _ids

OWN_CHANNELS = ("C0E2E1", "C0E2E2", "C0E2E3", "C0E2E4")
WRITES = (
    "AcknowledgeIncidents",
    "AssignIncidents",
    "UnassignIncidents",
    "ResolveIncidents",
    "CloseIncidents",
)
CONFIG = {
    "routes": [
        {"name": "shop", "match": {"application": "shop"}, "channels": ["C0PAYMENTS", "C0PLATFORM"]},
        *(
            {"name": f"own-{n}", "match": {"application": f"app{n}"}, "channels": [c]}
            for n, c in enumerate(OWN_CHANNELS)
        ),
    ],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["U0LEAD"]},
}


__all__ = ["CASES_RPC", "World"]


@dataclass
class World:
    sim: Account
    workspace: SlackWorkspace
    bot: BotProcess
    slack: SlackSender
    db_path: Path

    # -- Slack's side ------------------------------------------------------------------------------

    def command(self, text: str, *, user: str, channel: str = "C0INCIDENTS") -> tuple[Answer, str, str]:
        body, response_url, trigger_id = slash_command(self.workspace, text, user=user, channel=channel)
        return self.slack.post(body), response_url, trigger_id

    def click(
        self, message: SlackMessage, action_id: str, *, user: str, selected_user: str | None = None
    ) -> str:
        body, response_url = block_actions(
            self.workspace, message, action_id, user=user, selected_user=selected_user
        )
        answer = self.slack.post(body)
        assert answer.status == 200, answer
        assert answer.body == ""
        return response_url

    def answer_to(self, response_url: str, what: str = "the bot's answer") -> str:
        """The text of the first answer posted to a response_url (waits for it)."""
        bodies = wait_for(lambda: self.workspace.responses(response_url), 30, what)
        return str(bodies[0]["text"]) + json.dumps(bodies[0].get("blocks", []))

    def card(self, channel: str, incident_id: str) -> SlackMessage:
        def find() -> SlackMessage | None:
            for message in self.workspace.messages(channel):
                payload = (message.metadata or {}).get("event_payload", {})
                if payload.get("incident_id") == incident_id:
                    return message
            return None

        return wait_for(find, 30, f"the card of {incident_id} in {channel}")

    def card_when(
        self, channel: str, incident_id: str, check: Callable[[SlackMessage], bool], what: str
    ) -> SlackMessage:
        ts = self.card(channel, incident_id).ts

        def current() -> SlackMessage | None:
            message = self.workspace.message(channel, ts)
            return message if check(message) else None

        return wait_for(current, 30, what)

    def thread_says(self, channel: str, incident_id: str, needle: str) -> list[str]:
        ts = self.card(channel, incident_id).ts
        return wait_for(
            lambda: [r.text for r in self.workspace.replies(channel, ts) if needle in r.text] or None,
            30,
            f"{needle!r} in the thread of {incident_id} in {channel}",
        )

    # -- Coralogix's side ----------------------------------------------------------------------------

    def calls(self, rpc: str, incident_id: str) -> list[RecordedCall]:
        """The calls to `rpc` (its Incidents name) that name `incident_id`."""
        return [call for call in self.sim.calls_to(rpc) if incident_id in _ids(call.request)]

    def batches(self, rpc: str, *incident_ids: str) -> list[list[str]]:
        """The ids of each call to `rpc` that names any of `incident_ids`."""
        return [ids for call in self.sim.calls_to(rpc) if set(ids := _ids(call.request)) & set(incident_ids)]


def _status(message: SlackMessage) -> str:
    return str((message.metadata or {}).get("event_payload", {}).get("status"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, coralogix_api: Api) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"interactivity-{coralogix_api}")
    coralogix = start_stand_in(coralogix_api, seed=4)
    workspace = SlackWorkspace.with_defaults()
    for number, channel in enumerate(OWN_CHANNELS):
        workspace.add_channel(channel, f"e2e-{number}")
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
    seed_personal_keys(env["BOT_DATABASE_URL"], env["BOT_ENCRYPTION_KEY"], PERSONAL_KEYS)
    try:
        with running_bot(env, tmp / "bot.log") as bot:
            yield World(coralogix.sim, workspace, bot, SlackSender(bot.url + "/slack/events"), db_path)
    finally:
        slack.stop()
        coralogix.stop()


# ------------------------------------------------------------------------------------------ requests


def _answered_one_more(world: World) -> None:
    """Waits for the answer to a request sent after the ones a test checks: whatever those could have set
    off in the bot's work pool (which takes work in order) has started by then; no sleeping on a guess."""
    body, response_url, _ = slash_command(world.workspace, "whoami", user="U0ALICE")
    assert world.slack.post(body).status == 200
    world.answer_to(response_url, "the answer to a later request")


def test_bad_signatures_and_stale_timestamps_get_401_and_change_nothing(world: World) -> None:
    incident = world.sim.create_incident(application="cli")
    body, response_url, _ = slash_command(world.workspace, f"ack {incident}", user="U0ALICE")
    stale = str(int(time.time()) - 6 * 60)

    assert world.slack.post(body, signed_with="not-the-signing-secret").status == 401
    assert world.slack.post(body, timestamp=stale).status == 401  # correctly signed, but over 5 minutes old
    assert world.slack.post(body, signature_header="").status == 401

    _answered_one_more(world)
    assert world.calls("AcknowledgeIncidents", incident) == []
    assert world.workspace.responses(response_url) == []


def test_a_tampered_body_gets_401(world: World) -> None:
    incident = world.sim.create_incident(application="cli")
    body, response_url, _ = slash_command(world.workspace, f"ack {incident}", user="U0ALICE")
    stamp = str(int(time.time()))
    signed_for_other_body = signature(world.slack.secret, stamp, body.replace(b"ack", b"help"))
    assert world.slack.post(body, timestamp=stamp, signature_header=signed_for_other_body).status == 401
    _answered_one_more(world)
    assert world.calls("AcknowledgeIncidents", incident) == []
    assert world.workspace.responses(response_url) == []


# ------------------------------------------------------------------------------------------ buttons


def test_card_buttons_act_as_each_mapped_user_and_update_every_card(world: World) -> None:
    sim = world.sim
    incident = sim.create_incident(name="checkout 5xx", severity="critical", application="shop")
    first = world.card("C0PAYMENTS", incident)
    world.card("C0PLATFORM", incident)

    # Alice, mapped by the settings file, acknowledges
    world.click(first, "incident_ack", user="U0ALICE")
    [ack] = wait_for(lambda: world.calls("AcknowledgeIncidents", incident), 30, "the ack call")
    assert _ids(ack.request) == [incident]
    assert ack.api_key == "cx-alice-key"  # her own key acknowledges (on Cases, naming her as actor too)
    for channel in ("C0PAYMENTS", "C0PLATFORM"):
        world.card_when(
            channel, incident, lambda m: _status(m) == "acknowledged", f"acknowledged in {channel}"
        )
    assert world.thread_says("C0PAYMENTS", incident, "Acknowledged by <@U0ALICE> from Slack")
    world.thread_says("C0PLATFORM", incident, "Acknowledged by <@U0ALICE>")

    # Bob, mapped by his Slack e-mail, takes it
    card = world.card_when(
        "C0PAYMENTS", incident, lambda m: "incident_ack" not in str(m.blocks), "no ack button"
    )
    world.click(card, "incident_assign_me", user="U0BOB")
    [assign] = wait_for(lambda: world.calls("AssignIncidents", incident), 30, "the assign call")
    assert sim.assignee(assign.request) == "bob@example.com"
    card = world.card_when("C0PAYMENTS", incident, lambda m: "<@U0BOB>" in str(m.blocks), "Bob on the card")

    # Alice hands it to Carol with the picker (Carol is mapped by e-mail too)
    world.click(card, "incident_assign", user="U0ALICE", selected_user="U0CAROL")
    calls = wait_for(lambda: world.calls("AssignIncidents", incident)[1:], 30, "the second assign call")
    assert sim.assignee(calls[0].request) == "carol@example.com"
    card = world.card_when(
        "C0PAYMENTS", incident, lambda m: "<@U0CAROL>" in str(m.blocks), "Carol on the card"
    )

    world.click(card, "incident_unassign", user="U0BOB")
    wait_for(lambda: world.calls("UnassignIncidents", incident), 30, "the unassign call")
    card = world.card_when("C0PAYMENTS", incident, lambda m: "_nobody_" in str(m.blocks), "nobody assigned")

    world.click(card, "incident_resolve", user="U0BOB")
    wait_for(lambda: world.calls("ResolveIncidents", incident), 30, "the resolve call")
    card = world.card_when("C0PAYMENTS", incident, lambda m: _status(m) == "resolved", "resolved")

    # closing is for U0LEAD only (permissions in the settings file)
    refused = world.click(card, "incident_close", user="U0BOB")
    assert "You don't have the `close` permission" in world.answer_to(refused, "the refusal")
    assert world.calls("CloseIncidents", incident) == []
    world.click(card, "incident_close", user="U0LEAD")
    [close] = wait_for(lambda: world.calls("CloseIncidents", incident), 30, "the close call")
    assert _ids(close.request) == [incident]
    for channel in ("C0PAYMENTS", "C0PLATFORM"):
        closed = world.card_when(channel, incident, lambda m: _status(m) == "closed", f"closed in {channel}")
        assert "incident_close" not in str(closed.blocks)
    for needle in (
        "Assigned to <@U0BOB> by <@U0BOB>",
        "Assigned to <@U0CAROL> by <@U0ALICE>",
        "Closed by <@U0LEAD>",
    ):
        world.thread_says("C0PLATFORM", incident, needle)
    assert [c.code for rpc in WRITES for c in world.calls(rpc, incident)] == ["OK"] * 6


def test_an_unmapped_users_click_makes_no_call(world: World) -> None:
    incident = world.sim.create_incident(application="app0")
    card = world.card("C0E2E1", incident)

    reply = world.click(card, "incident_ack", user="U0NOMAIL")

    text = world.answer_to(reply)
    assert "U0NOMAIL" in text and "`users:`" in text
    assert world.workspace.responses(reply)[0]["response_type"] == "ephemeral"
    assert world.calls("AcknowledgeIncidents", incident) == []
    assert world.workspace.message("C0E2E1", card.ts).updates == 0


def test_a_stale_click_refreshes_the_card_and_says_what_happened(world: World) -> None:
    incident = world.sim.create_incident(application="app1")
    old_card = world.card("C0E2E2", incident)
    world.sim.resolve(incident, by="bob@example.com")

    reply = world.click(old_card, "incident_ack", user="U0ALICE")

    assert "changed since that card was drawn: it is resolved now" in world.answer_to(reply)
    world.card_when("C0E2E2", incident, lambda m: _status(m) == "resolved", "the card redrawn")
    assert world.calls("AcknowledgeIncidents", incident) == []


def test_a_coralogix_error_leaves_the_card_and_tells_the_clicker(world: World) -> None:
    incident = world.sim.create_incident(application="app2", name="db latency")
    card = world.card("C0E2E3", incident)
    world.sim.faults.fail_next(grpc.StatusCode.UNAVAILABLE, rpc="ResolveIncidents")

    reply = world.click(card, "incident_resolve", user="U0ALICE")

    assert "db latency was not resolved: Coralogix is unreachable" in world.answer_to(reply)
    [failed] = world.calls("ResolveIncidents", incident)
    assert failed.code == "UNAVAILABLE"
    # the answer is the last thing the click's work does: nothing redraws the card after it
    assert world.workspace.message("C0E2E3", card.ts).updates == 0
    assert world.workspace.replies("C0E2E3", card.ts) == []

    # the details button opens a modal on the trigger_id of the click, then shows the timeline in it
    body, _ = block_actions(world.workspace, card, "incident_details", user="U0ALICE")
    trigger_id = json.loads(parse_qs(body.decode())["payload"][0])["trigger_id"]
    assert world.slack.post(body).status == 200
    opened = wait_for(
        lambda: [v for v in world.workspace.views() if v.trigger_id == trigger_id][1:] or None,
        5,
        "the details modal and its content",
    )
    assert [v.method for v in opened] == ["views.update"]
    assert opened[0].view["callback_id"] == "incident_details_modal"
    assert "Timeline" in json.dumps(opened[0].view["blocks"])


# ------------------------------------------------------------------------------------- slash command


def test_help_usage_and_malformed_input_answer_at_once(world: World) -> None:
    answer, _, _ = world.command("help", user="U0BOB")
    assert answer.status == 200
    assert "Usage of /cx" in answer.json()["text"]
    unknown, _, _ = world.command("frobnicate", user="U0BOB")
    assert "I don't know the command `frobnicate`" in unknown.json()["text"]
    malformed, _, _ = world.command("assign 1234abcd5678", user="U0BOB")
    assert "`/cx assign ID… @user|me`" in malformed.json()["text"]


def test_action_subcommands_make_exactly_the_matching_calls(world: World) -> None:
    sim = world.sim
    one, two = (
        sim.create_incident(application="cli", name="one"),
        sim.create_incident(application="cli", name="two"),
    )

    answer, url, _ = world.command(f"ack {one} {two[:10]}", user="U0BOB")
    assert (answer.status, answer.body) == (200, "")
    text = world.answer_to(url)
    assert f"`{one[:8]}` one acknowledged." in text and f"`{two[:8]}` two acknowledged." in text
    assert world.batches("AcknowledgeIncidents", one, two) == sim.batches([one, two])

    _, url, _ = world.command(f"assign {one} {two} <@U0BOB|bob>", user="U0ALICE")
    assert "assigned to <@U0BOB>" in world.answer_to(url)
    assert world.batches("AssignIncidents", one, two) == sim.batches([one, two])
    assert [sim.assignee(c.request) for c in world.calls("AssignIncidents", one)] == ["bob@example.com"]

    _, url, _ = world.command(f"assign {two} me", user="U0ALICE")
    world.answer_to(url)
    assert sim.assignee(world.calls("AssignIncidents", two)[-1].request) == "alice@example.com"

    _, url, _ = world.command(f"unassign {one}", user="U0ALICE")
    world.answer_to(url)
    [unassign] = world.calls("UnassignIncidents", one)
    assert _ids(unassign.request) == [one]

    _, url, _ = world.command(f"resolve {one}", user="U0ALICE")
    world.answer_to(url)
    assert _ids(world.calls("ResolveIncidents", one)[0].request) == [one]

    _, url, _ = world.command(f"close {one} {two}", user="U0BOB")
    assert "`close` permission" in world.answer_to(url)
    assert world.calls("CloseIncidents", one) == []
    _, url, _ = world.command(f"close {one} {two}", user="U0LEAD")
    world.answer_to(url)
    assert world.batches("CloseIncidents", one, two) == sim.batches([one, two])


def test_an_id_of_the_other_api_is_refused_in_words_and_nothing_is_written(world: World) -> None:
    """A case id given to a bot whose account speaks Incidents, an incident id to one that speaks Cases."""
    elsewhere = SimulatedCases(seed=41) if world.sim.api == "incidents" else SimulatedCoralogix(seed=41)
    foreign = elsewhere.create_incident(application="cli", name="on the other api")
    writes_before = [len(world.sim.calls_to(rpc)) for rpc in WRITES]

    for command in (f"ack {foreign}", f"resolve {foreign}", f"show {foreign}"):
        _, url, _ = world.command(command, user="U0ALICE")  # she has her own key: both APIs would act
        said = world.answer_to(url, f"the answer to {command}")
        assert f"No incident has the id `{foreign}`" in said, said

    assert [len(world.sim.calls_to(rpc)) for rpc in WRITES] == writes_before


def test_list_show_stats_whoami(world: World) -> None:
    sim = world.sim
    made = [
        sim.create_incident(application="listing", severity="critical", name=f"disk {n}") for n in range(3)
    ]

    _, url, _ = world.command("list app=listing severity=critical limit=2", user="U0BOB")
    first_page = world.answer_to(url, "page 1")
    request = sim.calls_to("ListIncidents")[-1].request
    assert sim.listed_applications(request) == ["listing"]
    assert sim.page_size(request) == 2
    assert made[2] in first_page and made[1] in first_page and made[0] not in first_page
    assert "/cx list severity=critical app=listing limit=2 page=2" in first_page
    _, url, _ = world.command("list app=listing severity=critical limit=2 page=2", user="U0BOB")
    second_page = world.answer_to(url, "page 2")
    assert made[0] in second_page and made[2] not in second_page

    sim.acknowledge(made[0], by="alice@example.com")
    _, url, _ = world.command(f"show {made[0][:8]}", user="U0BOB")
    shown = world.answer_to(url, "show")
    assert "disk 0" in shown and "Latest events" in shown
    assert "Acknowledged by <@U0ALICE>" in shown

    _, url, _ = world.command("stats by=app status=all", user="U0BOB")
    stats = world.answer_to(url, "stats")
    assert "Incidents by application" in stats and "listing" in stats
    assert sim.calls_to("ListIncidentAggregations")

    _, url, _ = world.command("whoami", user="U0BOB")
    whoami = world.answer_to(url, "whoami")
    assert "*bob@example.com* (from the e-mail of your Slack profile)" in whoami
    assert "You may not: close" in whoami
    assert WHOAMI_SAYS[sim.api] in whoami


# ------------------------------------------------------------------------------------- personal keys


def test_a_personal_key_is_stored_encrypted_and_used_for_its_owners_calls(world: World) -> None:
    incident = world.sim.create_incident(application="app3")
    card = world.card("C0E2E4", incident)

    answer, url, trigger_id = world.command("connect", user="U0BOB", channel="C0E2E4")
    assert (answer.status, answer.body) == (200, "")
    [opened] = wait_for(
        lambda: [v for v in world.workspace.views() if v.trigger_id == trigger_id], 5, "the form"
    )
    assert opened.view["callback_id"] == "connect_modal"

    def submit(key: str) -> None:
        values = {"connect_api_key": {"api_key": {"type": "plain_text_input", "value": key}}}
        answer = world.slack.post(view_submission(opened.view, opened.id, user="U0BOB", values=values))
        assert (answer.status, answer.body) == (200, "")

    submit("cx-not-a-key")
    assert "Coralogix rejected that key" in world.answer_to(url, "the refusal")
    submit("cx-bob-key")
    assert (
        "Connected" in wait_for(lambda: world.workspace.responses(url)[1:], 30, "the confirmation")[0]["text"]
    )

    world.click(card, "incident_ack", user="U0BOB")
    [ack] = wait_for(lambda: world.calls("AcknowledgeIncidents", incident), 30, "the ack call")
    assert (ack.api_key, ack.user_id) == ("cx-bob-key", "bob@example.com")
    [line] = world.thread_says("C0E2E4", incident, "Acknowledged by <@U0BOB>")
    assert line == "Acknowledged by <@U0BOB> from Slack"

    raw = b"".join(p.read_bytes() for p in world.db_path.parent.glob("bot.db*"))
    assert b"personal_keys" in raw and b"U0BOB" in raw
    assert b"cx-bob-key" not in raw
    assert "cx-bob-key" not in world.bot.log()

    _, url, _ = world.command("disconnect", user="U0BOB")
    assert "Your personal API key is deleted" in world.answer_to(url)
    _, url, _ = world.command("whoami", user="U0BOB")
    assert "team API key" in world.answer_to(url)


def test_acknowledging_without_a_personal_key_opens_the_form_and_acts_once_connected(world: World) -> None:
    """On Incidents, whose team key may not acknowledge; on Cases the team key acknowledges as Carol."""
    world.sim.add_api_key("cx-carol-key", "carol@example.com")
    incident = world.sim.create_incident(application="app2")
    card = world.card("C0E2E3", incident)
    body, response_url = block_actions(world.workspace, card, "incident_ack", user="U0CAROL")
    trigger_id = json.loads(parse_qs(body.decode())["payload"][0])["trigger_id"]

    assert world.slack.post(body).status == 200
    if world.sim.api == "cases":
        [ack] = wait_for(lambda: world.calls("AcknowledgeIncidents", incident), 30, "the acknowledgement")
        assert (ack.api_key, ack.request.actor.user_id) == ("cx-team-key", "carol@example.com")  # type: ignore[attr-defined]
        world.thread_says("C0E2E3", incident, "Acknowledged by <@U0CAROL> from Slack")
        assert [v for v in world.workspace.views() if v.trigger_id == trigger_id] == []  # no form
        return
    [opened] = wait_for(
        lambda: [v for v in world.workspace.views() if v.trigger_id == trigger_id], 5, "the connect form"
    )
    assert opened.view["callback_id"] == "connect_modal"
    assert "only your own API key may acknowledge" in json.dumps(opened.view)
    assert "paste it in the form" in world.answer_to(response_url)
    assert world.calls("AcknowledgeIncidents", incident) == []  # the team key was never tried

    values = {"connect_api_key": {"api_key": {"type": "plain_text_input", "value": "cx-carol-key"}}}
    answer = world.slack.post(view_submission(opened.view, opened.id, user="U0CAROL", values=values))
    assert (answer.status, answer.body) == (200, "")

    [ack] = wait_for(lambda: world.calls("AcknowledgeIncidents", incident), 30, "the acknowledgement")
    assert (ack.api_key, ack.user_id) == ("cx-carol-key", "carol@example.com")
    world.thread_says("C0E2E3", incident, "Acknowledged by <@U0CAROL> from Slack")
    _, url, _ = world.command("disconnect", user="U0CAROL")
    world.answer_to(url)
