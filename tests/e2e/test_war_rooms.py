"""Issue 14, item 4 end to end: a war room on demand, on real bot processes over real sockets.

Two people click "War room" at the same moment on two replicas sharing PostgreSQL: one channel, both in
it, one live card there, a link in the original card's thread. The room's card follows the incident (the
poller updates it), offers "Archive room" once the incident is closed, and archives the channel for whoever
may close. `/cx room` with a closed, unknown or missing incident gets a clear answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

import pytest

from bot.sandbox.slack import RunningSlackSandbox, SlackChannel, SlackMessage
from bot.slack.ids import ActionId
from tests.e2e.harness import BotProcess, bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, block_actions, slash_command
from tests.pg import fresh_postgres_url, require_postgres

if TYPE_CHECKING:  # the fixture's type; any simulated account with this control API will do
    from tests.e2e.stand_in import StandIn

pytestmark = pytest.mark.postgres

CHANNEL = "C0PAYMENTS"
CONFIG = {
    "routes": [{"name": "payments", "match": {"application": "shop"}, "channels": [CHANNEL]}],
    "users": [
        {"slack": "U0ALICE", "coralogix": "alice@example.com"},
        {"slack": "U0BOB", "coralogix": "bob@example.com"},
    ],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["U0LEAD"]},
}


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = require_postgres()
    with fresh_postgres_url(admin) as url:
        yield url


def _env(coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path) -> dict[str, str]:
    config = write_config(tmp_path / f"bot-{free_port()}.yaml", CONFIG)
    return bot_env(coralogix, slack, database_url, config_path=config, port=free_port())


def _card_in(slack: RunningSlackSandbox, channel: str, incident_id: str) -> SlackMessage | None:
    for message in slack.workspace.messages(channel):
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload.get("incident_id") == incident_id:
            return message
    return None


def _rooms(slack: RunningSlackSandbox) -> list[SlackChannel]:
    return [channel for channel in slack.workspace.channels() if channel.name.startswith("inc-")]


def _action_ids(message: SlackMessage) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def _said(slack: RunningSlackSandbox, response_url: str) -> str:
    return json.dumps(slack.workspace.responses(response_url))


def _click(slack: RunningSlackSandbox, bot: BotProcess, message: SlackMessage, action: str, user: str) -> str:
    body, response_url = block_actions(slack.workspace, message, action, user=user)
    assert SlackSender(bot.url + "/slack/events").post(body).status == 200
    return response_url


def _created(slack: RunningSlackSandbox) -> int:
    return sum(1 for call in slack.workspace.calls_to("conversations.create") if call.ok)


def test_two_people_clicking_at_once_on_two_replicas_get_one_room_with_the_live_card(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    incident = sim.create_incident(name="Checkout 5xx", severity="critical", application="shop")
    with ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(_env(coralogix, slack, database_url, tmp_path), tmp_path / f"{n}.log")
            )
            for n in "ab"
        ]
        card = wait_for(lambda: _card_in(slack, CHANNEL, incident), 30, "the incident's card")
        assert ActionId.WAR_ROOM in _action_ids(card)

        # Alice clicks on replica a, Carol on replica b, at the same moment
        clicks = [
            block_actions(slack.workspace, card, ActionId.WAR_ROOM, user=user)
            for user in ("U0ALICE", "U0CAROL")
        ]
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def send(bot: BotProcess, body: bytes) -> None:
            barrier.wait()
            answers.append(SlackSender(bot.url + "/slack/events").post(body).status)

        threads = [
            threading.Thread(target=send, args=(bot, body))
            for bot, (body, _) in zip(bots, clicks, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200, 200]

        def both_in() -> SlackChannel | None:
            rooms = _rooms(slack)
            return rooms[0] if rooms and {"U0ALICE", "U0CAROL"} <= set(rooms[0].members) else None

        room = wait_for(both_in, 30, "one room with Alice and Carol in it")
        for _, response_url in clicks:
            wait_for(lambda url=response_url: slack.workspace.responses(url), 30, "an answer to each click")
        said = [_said(slack, url) for _, url in clicks]
        assert sum("I opened the war room" in text for text in said) == 1, said
        assert sum("You joined the war room" in text for text in said) == 1, said
        assert len(_rooms(slack)) == 1 and _created(slack) == 1
        assert room.name.startswith("inc-") and room.name.endswith("-checkout-5xx")
        room_card = wait_for(lambda: _card_in(slack, room.id, incident), 30, "the live card in the room")
        assert ActionId.WAR_ROOM not in _action_ids(room_card)
        [link] = wait_for(
            lambda: slack.workspace.replies(CHANNEL, card.ts), 30, "the link in the card's thread"
        )
        assert link.text.startswith(f"War room: <#{room.id}>, opened by <@U0")

        # a later click anywhere joins the room, never opens another
        third = _click(slack, bots[1], card, ActionId.WAR_ROOM, "U0BOB")
        wait_for(lambda: "You joined the war room" in _said(slack, third), 30, "Bob joining")
        assert "U0BOB" in _rooms(slack)[0].members and _created(slack) == 1

        # the poller keeps the room's card current, like any other card
        sim.acknowledge(incident, by="alice@example.com")

        def acknowledged() -> bool:
            shown = _card_in(slack, room.id, incident)
            return shown is not None and "acknowledged" in shown.text

        wait_for(acknowledged, 30, "the room's card showing the acknowledgement")
        assert len(slack.workspace.messages(room.id)) == 1, "updated in place"

        # once closed, the room's card (only) offers Archive room; only who may close archives it
        sim.close(incident, by="lead@example.com")

        def archivable() -> SlackMessage | None:
            shown = _card_in(slack, room.id, incident)
            return shown if shown is not None and ActionId.ARCHIVE_ROOM in _action_ids(shown) else None

        closed_card = wait_for(archivable, 30, "Archive room on the room's card")
        original = _card_in(slack, CHANNEL, incident)
        assert original is not None and ActionId.ARCHIVE_ROOM not in _action_ids(original)
        refused = _click(slack, bots[0], closed_card, ActionId.ARCHIVE_ROOM, "U0ALICE")
        wait_for(lambda: "permissions.close" in _said(slack, refused), 30, "Alice refused")
        assert not _rooms(slack)[0].is_archived
        done = _click(slack, bots[1], closed_card, ActionId.ARCHIVE_ROOM, "U0LEAD")
        wait_for(lambda: _rooms(slack)[0].is_archived, 30, "the room archived")
        wait_for(lambda: "I archived the war room" in _said(slack, done), 30, "Lead told")
        replies = wait_for(
            lambda: [
                r for r in slack.workspace.replies(CHANNEL, card.ts) if "archived by <@U0LEAD>" in r.text
            ],
            30,
            "the archive noted in the card's thread",
        )
        assert len(replies) == 1


def _command(slack: RunningSlackSandbox, bot: BotProcess, text: str) -> str:
    body, response_url, _ = slash_command(slack.workspace, text, user="U0ALICE", channel=CHANNEL)
    answer = SlackSender(bot.url + "/slack/events").post(body)
    assert answer.status == 200
    if answer.body:  # usage rides on the acknowledgement itself
        return answer.body
    return str(wait_for(lambda: slack.workspace.responses(response_url), 30, f"the answer to {text}"))


def test_room_command_opens_a_room_and_bad_input_gets_a_clear_answer(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    warning = sim.create_incident(name="disk 80%", severity="warning", application="shop")
    closed = sim.create_incident(name="old one", severity="critical", application="shop")
    sim.close(closed, by="lead@example.com")
    with running_bot(_env(coralogix, slack, database_url, tmp_path), tmp_path / "bot.log") as bot:
        assert "`/cx room ID`" in _command(slack, bot, "room")
        assert "takes exactly one incident ID" in _command(slack, bot, f"room {warning} {closed}")
        assert "is closed: no room for it." in _command(slack, bot, f"room {closed}")
        assert "No incident has the id" in _command(slack, bot, "room ffffffff-0000-0000-0000-000000000000")
        assert _rooms(slack) == []
        opened = _command(slack, bot, f"room {warning}")  # any open incident, whatever its severity
        assert "I opened the war room" in opened
        [room] = _rooms(slack)
        assert "U0ALICE" in room.members
        assert "You are already in the war room" in _command(slack, bot, f"room {warning}")

        # a War room button on a card only the clicker sees (e.g. `/cx show`) works like `/cx room ID`
        critical = sim.create_incident(name="api down", severity="critical", application="shop")
        card = wait_for(lambda: _card_in(slack, CHANNEL, critical), 30, "the critical incident's card")
        body, response_url = block_actions(slack.workspace, card, ActionId.WAR_ROOM, user="U0BOB")
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        payload["container"]["is_ephemeral"] = True
        del payload["message"]
        ephemeral_click = urlencode({"payload": json.dumps(payload)}).encode()
        assert SlackSender(bot.url + "/slack/events").post(ephemeral_click).status == 200
        wait_for(
            lambda: "I opened the war room" in _said(slack, response_url), 30, "a room from an ephemeral card"
        )
        assert len(_rooms(slack)) == 2
