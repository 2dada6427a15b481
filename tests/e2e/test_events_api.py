"""The Events API done properly, end to end: `url_verification`, Slack's retries handled once (also when
the retry reaches another replica), bad bodies refused or ignored, and the same events over Socket Mode."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.slack import (
    SANDBOX_APP_TOKEN,
    SlackWorkspace,
    start_slack_sandbox,
    start_socket_mode_sandbox,
)
from bot.sandbox.slack.envelopes import event_callback
from bot.sandbox.slack.events import EventSender, app_home_opened, link_shared
from tests.e2e.events_world import TEAM_HOST, EventsWorld, home_lists, incident_link, incidents_on
from tests.e2e.harness import SIGNING_SECRET, bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, signature
from tests.e2e.stand_in import Account, StandIn, start_stand_in

CHANNEL = "C0EVENTS"
CONFIG = {
    "routes": [{"name": "ev", "match": {"application": "ev"}, "channels": [CHANNEL]}],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    running = start_stand_in("incidents", seed=17)  # the Events API does not depend on the Coralogix API
    yield running
    running.stop()


@pytest.fixture(scope="module")
def workspace() -> SlackWorkspace:
    workspace = SlackWorkspace.with_defaults()
    workspace.add_channel(CHANNEL, "events")
    workspace.add_member(CHANNEL, "U0ALICE")
    return workspace


@pytest.fixture(scope="module")
def env_and_slack(
    stand_in: StandIn, workspace: SlackWorkspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], Path]]:
    tmp = tmp_path_factory.mktemp("events-api")
    slack = start_slack_sandbox(workspace)
    env = bot_env(
        stand_in,
        slack,
        f"sqlite:///{tmp / 'bot.db'}",
        config_path=write_config(tmp / "bot.yaml", CONFIG),
        port=free_port(),
    )
    try:
        yield env, tmp
    finally:
        slack.stop()


@pytest.fixture(scope="module")
def world(env_and_slack: tuple[dict[str, str], Path], workspace: SlackWorkspace) -> Iterator[EventsWorld]:
    env, tmp = env_and_slack
    with running_bot(env, tmp / "bot.log") as bot:
        url = bot.url + "/slack/events"
        yield EventsWorld(workspace, bot, EventSender(workspace, url, SIGNING_SECRET), SlackSender(url))


@pytest.fixture
def sim(stand_in: StandIn) -> Account:
    return stand_in.sim


# ------------------------------------------------------------------------------------- url_verification


def test_url_verification_is_answered_only_when_signed(world: EventsWorld) -> None:
    answered = world.events.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert answered.status == 200
    assert json.loads(answered.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    forged = EventSender(world.workspace, world.events.url, "not-the-signing-secret")
    refused = forged.url_verification("abc")
    assert refused.status == 401 and "abc" not in refused.body


# ------------------------------------------------------------------------------------- retries


def test_a_retried_link_is_unfurled_once(world: EventsWorld, sim: Account) -> None:
    incident = sim.create_incident(name="retried link", application="ev")
    message, first = world.paste(CHANNEL, incident_link(incident))
    wait_for(lambda: world.unfurls(CHANNEL, message.ts), 10, "the unfurl")
    for _ in range(3):  # Slack retries up to three times, with X-Slack-Retry-Num 1, 2, 3
        first = world.events.retry(first)
        assert first.status == 200 and first.retry_num >= 1
    world.logged(f"event {first.event_id} was handled already; Slack's retry 3", "the third retry let be")
    assert len(world.unfurls(CHANNEL, message.ts)) == 1


def test_a_retried_home_opening_is_published_once(world: EventsWorld) -> None:
    before = len(world.workspace.homes.published("U0ALICE"))
    first = world.events.send(app_home_opened(world.workspace, "U0ALICE"))
    world.home_after("U0ALICE", before)
    retry = world.events.retry(first)
    assert retry.status == 200
    world.logged(f"event {first.event_id} was handled already", "the retry let be")
    assert len(world.workspace.homes.published("U0ALICE")) == before + 1


def test_an_event_whose_work_failed_is_done_by_slacks_retry(world: EventsWorld) -> None:
    """Nothing lost: Slack refused the first views.publish, so the event is given back and the retry
    publishes the tab."""
    before = len(world.workspace.homes.published("U0BOB"))
    world.workspace.faults.error("views.publish", "internal_error")
    first = world.events.send(app_home_opened(world.workspace, "U0BOB"))
    assert first.status == 200
    world.logged(f"event {first.event_id} failed; given back", "the event given back")
    assert world.workspace.homes.published("U0BOB")[before:] == []
    assert world.events.retry(first).status == 200
    world.home_after("U0BOB", before, "the tab published on the retry")
    assert len(world.workspace.homes.published("U0BOB")) == before + 1


def test_a_retry_that_reaches_another_replica_does_nothing_twice(
    world: EventsWorld, env_and_slack: tuple[dict[str, str], Path], sim: Account
) -> None:
    env, tmp = env_and_slack
    incident = sim.create_incident(name="two replicas", application="ev")
    message, first = world.paste(CHANNEL, incident_link(incident))
    wait_for(lambda: world.unfurls(CHANNEL, message.ts), 10, "the unfurl")
    second_env = {**env, "BOT_HTTP_PORT": str(free_port())}
    with running_bot(second_env, tmp / "replica-2.log") as replica:
        other = EventSender(world.workspace, replica.url + "/slack/events", SIGNING_SECRET)
        retry = other.retry(first)
        assert retry.status == 200
        wait_for(
            lambda: f"event {first.event_id} was handled already" in replica.log(), 15, "replica 2 let it be"
        )
    assert len(world.unfurls(CHANNEL, message.ts)) == 1


# ------------------------------------------------------------------------------------- bad input


def _signed_json(world: EventsWorld, body: bytes) -> int:
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
    }
    return world.slack.post_raw(body, headers).status


def test_malformed_event_bodies_are_refused_or_ignored_and_change_nothing(
    world: EventsWorld, sim: Account
) -> None:
    incident = sim.create_incident(name="malformed", application="ev")
    message = world.workspace.post_message(
        CHANNEL, text=incident_link(incident), blocks=[], metadata=None, user="U0ALICE"
    )
    event = link_shared(world.workspace, message, [TEAM_HOST])
    assert event is not None
    wrapped = event_callback(world.workspace.team_id, world.workspace.app_id, event)

    assert _signed_json(world, b"{not json") == 400
    assert _signed_json(world, json.dumps({**wrapped, "event": "link_shared"}).encode()) == 400
    assert _signed_json(world, json.dumps([wrapped]).encode()) == 400
    unsigned = world.slack.post_raw(json.dumps(wrapped).encode(), {"Content-Type": "application/json"})
    assert unsigned.status == 401
    # signed, readable, but not something the bot can act on: acknowledged (Slack must not retry) and let be
    no_id = {k: v for k, v in wrapped.items() if k != "event_id"}
    assert _signed_json(world, json.dumps(no_id).encode()) == 200
    world.logged("ignored an event without an event_id", "the event without an id let be")
    bad_links = {**wrapped, "event_id": "EvBADLINKS", "event": {**event, "links": "not a list"}}
    assert _signed_json(world, json.dumps(bad_links).encode()) == 200
    world.logged("ignored a link_shared event without a channel, a message or links", "bad links let be")
    # an event the app never subscribed to: Bolt has no listener for it
    other = {**wrapped, "event_id": "EvOTHER", "event": {"type": "reaction_added", "user": "U0ALICE"}}
    assert _signed_json(world, json.dumps(other).encode()) == 404
    assert world.unfurls(CHANNEL, message.ts) == []
    # and the same link, properly sent, still unfurls: nothing was taken by the bad ones
    assert world.events.send(event).status == 200
    wait_for(lambda: world.unfurls(CHANNEL, message.ts), 10, "the unfurl of the good event")


# ------------------------------------------------------------------------------------- Socket Mode


def test_the_home_tab_and_unfurls_work_over_socket_mode(
    stand_in: StandIn, workspace: SlackWorkspace, tmp_path: Path, sim: Account
) -> None:
    slack = start_slack_sandbox(workspace)
    server = start_socket_mode_sandbox(slack.workspace)
    try:
        env = bot_env(
            stand_in,
            slack,
            f"sqlite:///{tmp_path / 'bot.db'}",
            config_path=write_config(tmp_path / "bot.yaml", CONFIG),
            port=free_port(),
            extra={"SLACK_APP_TOKEN": SANDBOX_APP_TOKEN},
        )
        del env["SLACK_SIGNING_SECRET"]
        with running_bot(env, tmp_path / "bot.log") as bot:
            wait_for(lambda: server.open_connections() == 1, 20, "the Socket Mode connection")
            incident = sim.create_incident(name="socket home", application="ev")
            before = len(workspace.homes.published("U0ALICE"))
            opened = server.event(app_home_opened(workspace, "U0ALICE"))
            home = wait_for(lambda: workspace.homes.published("U0ALICE")[before:], 15, "the Home tab")[0]
            assert incident in home_lists(home)["routes"]  # Alice is in #events, a route without responders
            wait_for(lambda: opened.acked, 3, "the ack")

            message = workspace.post_message(
                CHANNEL, text=incident_link(incident), blocks=[], metadata=None, user="U0BOB"
            )
            event = link_shared(workspace, message, [TEAM_HOST])
            assert event is not None
            first = server.event(event)
            wait_for(lambda: first.acked, 3, "the ack of link_shared")
            calls = wait_for(
                lambda: [c for c in workspace.calls_to("chat.unfurl") if c.params.get("ts") == message.ts],
                10,
                "the unfurl",
            )
            unfurls = calls[0].params["unfurls"]
            unfurls = json.loads(unfurls) if isinstance(unfurls, str) else unfurls
            assert incidents_on(unfurls[incident_link(incident)]["blocks"]) == [incident]
            retried = server.redeliver(first)  # Slack's retry_attempt 1, the same event_id
            wait_for(lambda: retried.acked, 3, "the ack of the retry")
            handled = f"event {first.payload['event_id']} was handled already"
            wait_for(lambda: handled in bot.log(), 10, "the retry let be")
            assert (
                len([c for c in workspace.calls_to("chat.unfurl") if c.params.get("ts") == message.ts]) == 1
            )
    finally:
        server.stop()
        slack.stop()
