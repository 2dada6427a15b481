"""Issue 13 end to end: the Home tab and incident link unfurls, over signed Events API requests to the
running bot, against the Slack sandbox and a Coralogix stand-in on each API.

Routes: *pay* (responder Alice), *srch* (responder Bob), *ops* (no responders; #h-ops has Carol, not
Alice or Bob) and *ops-critical* (responder Lead). Bob is in #h-pay too, which does not make him a
responder of *pay*.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.fernet import Fernet

from bot.sandbox.slack import SlackMessage, SlackWorkspace, start_slack_sandbox
from bot.sandbox.slack.events import EventSender, link_shared
from tests.e2e.events_world import (
    TEAM_HOST,
    EventsWorld,
    home_click,
    home_lists,
    home_text,
    incident_link,
    incidents_on,
    unfurl_click,
)
from tests.e2e.harness import (
    PERSONAL_KEYS,
    SIGNING_SECRET,
    bot_env,
    free_port,
    running_bot,
    seed_personal_keys,
    wait_for,
    write_config,
)
from tests.e2e.slack_requests import SlackSender, block_actions, slash_command, view_submission
from tests.e2e.stand_in import Account, Api, start_stand_in

CHANNELS = {"C0HPAY": "h-pay", "C0HSRCH": "h-srch", "C0HOPS": "h-ops", "C0HTALK": "h-talk"}
CONFIG = {
    "routes": [
        {"name": "pay", "match": {"application": "pay"}, "channels": ["C0HPAY"], "responders": ["U0ALICE"]},
        {"name": "srch", "match": {"application": "srch"}, "channels": ["C0HSRCH"], "responders": ["U0BOB"]},
        {"name": "ops", "match": {"application": "ops"}, "channels": ["C0HOPS"]},
        {
            "name": "ops-critical",
            "match": {"application": "ops", "severity": "critical"},
            "channels": ["C0HOPS"],
            "responders": ["U0LEAD"],
        },
    ],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
}


@pytest.fixture(scope="module")
def world_and_sim(
    coralogix_api: Api, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EventsWorld, Account]]:
    tmp = tmp_path_factory.mktemp(f"home-{coralogix_api}")
    coralogix = start_stand_in(coralogix_api, seed=13)
    workspace = SlackWorkspace.with_defaults()
    for channel, name in CHANNELS.items():
        workspace.add_channel(channel, name)
    for channel, user in (
        ("C0HPAY", "U0ALICE"),
        ("C0HPAY", "U0BOB"),
        ("C0HSRCH", "U0BOB"),
        ("C0HOPS", "U0CAROL"),
    ):
        workspace.add_member(channel, user)
    slack = start_slack_sandbox(workspace)
    env = bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp / 'bot.db'}",
        config_path=write_config(tmp / "bot.yaml", CONFIG),
        port=free_port(),
        extra={"BOT_ENCRYPTION_KEY": Fernet.generate_key().decode()},
    )
    seed_personal_keys(env["BOT_DATABASE_URL"], env["BOT_ENCRYPTION_KEY"], PERSONAL_KEYS)
    try:
        with running_bot(env, tmp / "bot.log") as bot:
            url = bot.url + "/slack/events"
            world = EventsWorld(workspace, bot, EventSender(workspace, url, SIGNING_SECRET), SlackSender(url))
            yield world, coralogix.sim
    finally:
        slack.stop()
        coralogix.stop()


@pytest.fixture
def world(world_and_sim: tuple[EventsWorld, Account]) -> EventsWorld:
    return world_and_sim[0]


@pytest.fixture
def sim(world_and_sim: tuple[EventsWorld, Account]) -> Account:
    return world_and_sim[1]


# ---------------------------------------------------------------------------------------------- Home tab


def test_the_home_tab_lists_each_persons_own_incidents(world: EventsWorld, sim: Account) -> None:
    pay = sim.create_incident(name="pay down", application="pay")
    srch = sim.create_incident(name="search slow", application="srch")
    sim.assign(srch, "alice@example.com", "someone@example.com")
    ops = sim.create_incident(name="ops disk", application="ops")
    owned = sim.create_incident(name="ops down", application="ops", severity="critical")  # Lead's too
    stray = sim.create_incident(name="no route", application="nothing-routes-here")

    alice = world.open_home("U0ALICE")
    assert "alice@example.com" in home_text(alice)  # who she is in Coralogix, and which key acts
    assert "personal Coralogix API key" in home_text(alice)
    lists = home_lists(alice)
    assert srch in lists["assigned"] and pay not in lists["assigned"]
    assert pay in lists["routes"]
    assert {ops, stray, srch}.isdisjoint(lists["routes"])

    bob = home_lists(world.open_home("U0BOB"))
    assert srch in bob["routes"]  # he responds for srch, even though Alice has it
    assert {pay, ops, stray}.isdisjoint(bob["routes"] + bob["assigned"])  # in #h-pay, not its responder

    carol = home_lists(world.open_home("U0CAROL"))  # mapped by e-mail; in #h-ops, a route without responders
    assert ops in carol["routes"]
    assert {pay, srch, stray, owned}.isdisjoint(
        carol["routes"] + carol["assigned"]
    )  # she may not act on owned


def test_an_unmapped_person_is_told_why_nothing_is_shown(world: EventsWorld) -> None:
    view = world.open_home("U0GUEST")  # a guest: never mapped by e-mail
    assert "Nothing is shown here" in home_text(view)
    assert "guests" in home_text(view)
    assert incidents_on(view.view["blocks"]) == []


def test_home_tab_buttons_act_and_the_tab_is_redrawn(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="pay resolve me", application="pay")
    view = world.open_home("U0ALICE")
    assert incident in home_lists(view)["routes"]
    versions = len(world.workspace.homes.published("U0ALICE"))

    world.click(home_click(world.workspace, view, incident, "incident_resolve", user="U0ALICE"))
    [call] = wait_for(
        lambda: [c for c in sim.calls_to("ResolveIncidents") if incident in str(c.request)], 10, "the resolve"
    )
    assert call.api_key == "cx-alice-key"
    redrawn = world.home_after("U0ALICE", versions, "the Home tab redrawn after the click")
    assert "resolved" in home_text(redrawn)  # what came of the click, on top
    assert incident not in home_lists(redrawn)["routes"]  # no longer open


def test_a_home_tab_click_is_bound_to_what_that_tab_showed(world: EventsWorld, sim: Account) -> None:
    theirs = sim.create_incident(name="srch not alices", application="srch")
    mine = sim.create_incident(name="pay alices", application="pay")
    view = world.open_home("U0ALICE")
    assert theirs not in home_lists(view)["routes"]
    versions = len(world.workspace.homes.published("U0ALICE"))
    forged = home_click(world.workspace, view, mine, "incident_close", user="U0ALICE").replace(
        mine.encode(), theirs.encode()
    )
    world.click(forged)
    refused = world.home_after("U0ALICE", versions, "the refusal on the Home tab")
    assert "not on your Home tab" in home_text(refused)
    assert not [c for c in sim.calls_to("CloseIncidents") if theirs in str(c.request)]


def test_responders_still_apply_to_a_home_tab_click(world: EventsWorld, sim: Account) -> None:
    """A tab drawn when Bob could act stays in Slack; the route's responders decide at the click."""
    incident = sim.create_incident(name="srch bob only", application="srch")
    bob_view = world.open_home("U0BOB")
    assert incident in home_lists(bob_view)["routes"]
    versions = len(world.workspace.homes.published("U0CAROL"))
    world.open_home("U0CAROL")
    # Carol clicks on a copy of Bob's tab (the metadata lists the incident): srch's responders refuse her
    world.click(home_click(world.workspace, bob_view, incident, "incident_resolve", user="U0CAROL"))
    refused = world.home_after("U0CAROL", versions + 1, "Carol's refusal on her Home tab")
    assert "only its responders may act" in home_text(refused)
    assert not [c for c in sim.calls_to("ResolveIncidents") if incident in str(c.request)]


# ---------------------------------------------------------------------------------------------- unfurls


def test_a_pasted_link_unfurls_into_a_live_card_whose_buttons_act(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="linked checkout", application="pay")
    url = incident_link(incident)
    message, _ = world.paste("C0HTALK", f"look at <{url}>", user="U0BOB")
    [unfurl] = wait_for(lambda: world.unfurls("C0HTALK", message.ts), 10, "the unfurl")
    assert incidents_on(unfurl["unfurls"][url]["blocks"]) == [incident]
    unfurled = world.workspace.message("C0HTALK", message.ts)
    assert "incident_resolve" in str(unfurled.unfurls[url])

    body, response_url = unfurl_click(world.workspace, unfurled, url, "incident_resolve", user="U0ALICE")
    world.click(body)
    wait_for(
        lambda: [c for c in sim.calls_to("ResolveIncidents") if incident in str(c.request)], 10, "the resolve"
    )
    wait_for(lambda: len(world.unfurls("C0HTALK", message.ts)) >= 2, 10, "the unfurl refreshed")
    refreshed = world.workspace.message("C0HTALK", message.ts).unfurls[url]
    assert "incident_resolve" not in str(refreshed) and "resolved" in str(refreshed)
    assert world.workspace.responses(response_url) == []  # a click that went through needs no words


def test_unfurl_clicks_keep_permissions_and_their_binding(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="linked pay", application="pay")
    other = sim.create_incident(name="another pay", application="pay")
    url = incident_link(incident)
    message, _ = world.paste("C0HTALK", f"see {url}")
    wait_for(lambda: world.unfurls("C0HTALK", message.ts), 10, "the unfurl")
    unfurled = world.workspace.message("C0HTALK", message.ts)

    body, response_url = unfurl_click(world.workspace, unfurled, url, "incident_resolve", user="U0BOB")
    world.click(body)  # Bob is not a responder of pay
    assert "only its responders may act" in str(
        wait_for(lambda: world.workspace.responses(response_url), 10, "no")
    )

    body, response_url = unfurl_click(
        world.workspace, unfurled, url, "incident_resolve", user="U0ALICE", value_of=other
    )
    world.click(body)  # a button naming another incident than its link's
    said = str(wait_for(lambda: world.workspace.responses(response_url), 10, "the refusal"))
    assert "does not belong to the incident of the link" in said
    resolved = [str(c.request) for c in sim.calls_to("ResolveIncidents")]
    assert not [r for r in resolved if incident in r or other in r]


def test_links_that_are_not_this_teams_incidents_unfurl_nothing(world: EventsWorld, sim: Account) -> None:
    known = sim.create_incident(name="known one", application="pay")
    links = [incident_link(f"no-such-incident-{n}") for n in range(3)]
    message, _ = world.paste("C0HTALK", " ".join(links))
    world.logged("no incident to unfurl among 3 links", "the unknown ids looked up")
    assert world.unfurls("C0HTALK", message.ts) == []

    # a known incident's id on another host (Slack sends what the app's domains match, e.g. a lookalike)
    lookalike = f"https://{TEAM_HOST}.evil.example/#/incidents/{known}"
    message = world.workspace.post_message("C0HTALK", text=lookalike, blocks=[], metadata=None, user="U0BOB")
    event = link_shared(world.workspace, message, ["evil.example"])
    assert event is not None and world.events.send(event).status == 200
    world.logged("no incident to unfurl among 1 links", "the lookalike host refused")
    assert world.unfurls("C0HTALK", message.ts) == []

    many = [incident_link(known)] + [f"{incident_link(known)}?n={n}" for n in range(7)]
    message, delivery = world.paste("C0HTALK", " ".join(many))
    assert len(delivery.payload["event"]["links"]) == 5  # Slack names five at most
    [call] = wait_for(lambda: world.unfurls("C0HTALK", message.ts), 10, "the unfurl")
    assert 1 <= len(call["unfurls"]) <= 5


def test_a_link_in_a_channel_the_bot_is_not_in_is_ignored(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="elsewhere", application="pay")
    message = world.workspace.post_message(
        "C0HTALK", text=incident_link(incident), blocks=[], metadata=None, user="U0ALICE"
    )
    event = link_shared(world.workspace, message, [TEAM_HOST])
    assert event is not None
    delivery = world.events.send({**event, "is_bot_user_member": False})
    assert delivery.status == 200
    world.logged("the bot is not in that channel", "the event ignored")
    assert world.unfurls("C0HTALK", message.ts) == []


def _card(world: EventsWorld, channel: str, incident_id: str) -> SlackMessage:
    def find() -> SlackMessage | None:
        for message in world.workspace.messages(channel):
            if (message.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id:
                return message
        return None

    found = wait_for(find, 30, f"the card of {incident_id}")
    assert found is not None
    return found


def _unfurled(world: EventsWorld, channel: str, ts: str, url: str) -> str:
    message = world.workspace.message(channel, ts)
    return str(message.unfurls.get(url, ""))


def test_an_unfurl_follows_the_incident_as_coralogix_changes_it(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="linked and live", application="pay")
    _card(world, "C0HPAY", incident)  # the poll has seen it
    url = incident_link(incident)
    message, _ = world.paste("C0HTALK", f"what is <{url}>?", user="U0BOB")
    wait_for(lambda: world.unfurls("C0HTALK", message.ts), 10, "the unfurl")
    gone, _ = world.paste("C0HTALK", f"again {url}", user="U0BOB")
    wait_for(lambda: world.unfurls("C0HTALK", gone.ts), 10, "the second unfurl")
    assert "incident_resolve" in _unfurled(world, "C0HTALK", message.ts, url)
    world.workspace.delete_message("C0HTALK", gone.ts)  # its unfurl can never be refreshed

    sim.resolve(incident, "someone@example.com")  # in Coralogix, not through the bot
    wait_for(
        lambda: "incident_resolve" not in _unfurled(world, "C0HTALK", message.ts, url),
        30,
        "the unfurl redrawn after the poll saw the change",
    )
    assert "resolved" in _unfurled(world, "C0HTALK", message.ts, url)
    world.logged(f"forgetting the unfurl of {incident} in C0HTALK ({gone.ts})", "the deleted one forgotten")

    def refused() -> list[object]:
        return [
            c for c in world.workspace.calls_to("chat.unfurl") if not c.ok and c.params.get("ts") == gone.ts
        ]

    assert len(refused()) == 1
    sent = len(world.unfurls("C0HTALK", message.ts))
    sim.assign(incident, "alice@example.com", "someone@example.com")  # another change, another redraw
    wait_for(lambda: len(world.unfurls("C0HTALK", message.ts)) > sent, 30, "the unfurl redrawn again")
    assert len(refused()) == 1  # the forgotten one was not tried again


# ---------------------------------------------------------------------------------------------- Home, live


def test_the_home_tab_follows_the_persons_actions_elsewhere(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="pay ack from the channel", application="pay")
    card = _card(world, "C0HPAY", incident)
    view = world.open_home("U0ALICE")
    assert incident in home_lists(view)["routes"]
    assert "incident_ack" in str(_home_card(view.view, incident))
    versions = len(world.workspace.homes.published("U0ALICE"))

    body, _ = block_actions(world.workspace, card, "incident_ack", user="U0ALICE")
    world.click(body)
    wait_for(
        lambda: [c for c in sim.calls_to("AcknowledgeIncidents") if incident in str(c.request)], 10, "the ack"
    )
    redrawn = world.home_after("U0ALICE", versions, "the Home tab republished after the channel click")
    assert incident in home_lists(redrawn)["routes"]
    assert "incident_ack" not in str(_home_card(redrawn.view, incident))  # acknowledged: no Ack button

    versions = len(world.workspace.homes.published("U0ALICE"))
    body, _, _ = slash_command(world.workspace, f"resolve {incident}", user="U0ALICE", channel="C0HPAY")
    world.click(body)
    redrawn = world.home_after("U0ALICE", versions, "the Home tab republished after the slash command")
    assert incident not in home_lists(redrawn)["routes"]  # resolved: no longer open


def test_the_home_tab_follows_an_action_done_in_the_connect_form(world: EventsWorld, sim: Account) -> None:
    """On Incidents Carol's click opens the connect form and the acknowledgement runs once she submits it;
    on Cases the team key acknowledges at once. Either way her Home tab is redrawn after the action."""
    sim.add_api_key("cx-carol-home-key", "carol@example.com")
    incident = sim.create_incident(name="ops ack after connecting", application="ops", severity="warning")
    card = _card(world, "C0HOPS", incident)
    view = world.open_home("U0CAROL")
    assert "incident_ack" in str(_home_card(view.view, incident))
    versions = len(world.workspace.homes.published("U0CAROL"))

    def acks() -> list[Any]:
        return [c for c in sim.calls_to("AcknowledgeIncidents") if incident in str(c.request)]

    body, _ = block_actions(world.workspace, card, "incident_ack", user="U0CAROL")
    trigger_id = json.loads(parse_qs(body.decode())["payload"][0])["trigger_id"]
    world.click(body)
    if sim.api == "incidents":
        [form] = wait_for(
            lambda: [v for v in world.workspace.views() if v.trigger_id == trigger_id], 10, "the connect form"
        )
        assert acks() == []
        values = {"connect_api_key": {"api_key": {"type": "plain_text_input", "value": "cx-carol-home-key"}}}
        world.click(view_submission(form.view, form.id, user="U0CAROL", values=values))
    wait_for(acks, 15, "the acknowledgement")
    wait_for(
        lambda: [
            v
            for v in world.workspace.homes.published("U0CAROL")[versions:]
            if incident in str(v.view) and "incident_ack" not in str(_home_card(v.view, incident))
        ],
        15,
        "Carol's Home tab redrawn with the incident acknowledged",
    )


def _home_card(view: dict[str, Any], incident_id: str) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if incident_id in incidents_on([b])]
