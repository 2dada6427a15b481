"""War rooms against the simulated IncidentsService and the Slack sandbox, over real sockets.

One room per incident (also when two replicas are clicked at once), a second click joins, the card lives
in the room and is drawn as the room's, archive only after close, and clear refusals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.actions import CardOrigin, IncidentFinder
from bot.actions.authority import Authority, UserGroups
from bot.actions.room_archive import archive_room
from bot.actions.rooms import RoomOutcome, RoomReport, WarRooms
from bot.config import RoutingConfig
from bot.coralogix.client import IncidentsClient
from bot.metrics import Metrics
from bot.sandbox.coralogix import SimulatedCoralogix
from bot.sandbox.slack import SlackChannel, SlackMessage, SlackWorkspace
from bot.slack.gateway import SlackGateway
from bot.slack.ids import ActionId
from bot.store.rows import MessageKind, RoomState
from tests.actions.conftest import Build, Parts
from tests.actions.test_service import card, post_cards

ROUTING = {
    "routes": [
        {
            "name": "shop",
            "match": {"application": "shop"},
            "channels": ["C0PAYMENTS"],
            "responders": ["U0CAROL", "S0ONCALL", "U0LEAD"],
        },
        {"name": "search", "match": {"application": "search"}, "channels": ["C0SEARCH"]},
    ],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
    "permissions": {"close": ["U0LEAD"]},
}

MakeRooms = Callable[..., WarRooms]
Carded = Callable[..., str]


@pytest.fixture
def parts(build: Build) -> Parts:
    return build(ROUTING)


@pytest.fixture
def make_rooms(parts: Parts, client: IncidentsClient, gateway: SlackGateway) -> MakeRooms:
    def make(replica: str = "replica-a", routing: dict[str, object] = ROUTING, **kwargs: object) -> WarRooms:
        config = RoutingConfig.model_validate(routing)
        groups = UserGroups(gateway.usergroup_members)
        return WarRooms(
            store=parts.store,
            gateway=gateway,
            sender=parts.sender,
            finder=IncidentFinder(client),
            identities=parts.identities,
            authority=Authority(config, groups),
            groups=groups,
            routing=config,
            slack_user_of={"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"}.get,
            metrics=Metrics(),
            replica_id=replica,
            clock=lambda: datetime.now(UTC),
            **kwargs,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def carded(parts: Parts, sim: SimulatedCoralogix, client: IncidentsClient) -> Carded:
    """Creates an incident (assigned first, if told) and posts its cards as the poller would; its id."""

    def make(name: str, application: str, severity: str = "critical", assignee: str | None = None) -> str:
        incident = sim.create_incident(name=name, severity=severity, application=application)
        if assignee is not None:
            sim.assign(incident, to=assignee, by="lead@example.com")
        post_cards(parts, client, incident)
        return incident

    return make


def _room_channel(workspace: SlackWorkspace, report: RoomReport) -> SlackChannel:
    assert report.channel is not None, report
    [channel] = [c for c in workspace.channels() if c.id == report.channel]
    return channel


def _origin(workspace: SlackWorkspace, channel: str, incident_id: str) -> CardOrigin:
    return CardOrigin(channel, card(workspace, channel, incident_id).ts)


def _action_ids(message: SlackMessage) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_first_click_opens_the_room_invites_the_people_and_posts_the_live_card(
    parts: Parts, make_rooms: MakeRooms, carded: Carded, workspace: SlackWorkspace
) -> None:
    incident = carded("Checkout 5xx", "shop", assignee="bob@example.com")
    origin = _origin(workspace, "C0PAYMENTS", incident)

    report = make_rooms().open("U0ALICE", incident, origin=origin)

    assert report.outcome is RoomOutcome.CREATED, report
    room = _room_channel(workspace, report)
    assert room.name.startswith("inc-") and room.name.endswith("-checkout-5xx")
    # the clicker, the assignee, the route's responders with the on-call group expanded (Alice and Bob)
    assert set(room.members) == {workspace.bot_user_id, "U0ALICE", "U0BOB", "U0CAROL", "U0LEAD"}
    [room_card] = workspace.messages(room.id)
    assert room_card.metadata is not None and room_card.metadata["event_payload"]["incident_id"] == incident
    assert ActionId.WAR_ROOM not in _action_ids(room_card)
    assert ActionId.ACK in _action_ids(room_card)
    recorded = parts.store.message(incident, room.id)
    assert recorded is not None and recorded.kind is MessageKind.ROOM and recorded.ts == room_card.ts
    [link] = workspace.replies("C0PAYMENTS", origin.ts)
    assert link.text == f"War room: <#{room.id}>, opened by <@U0ALICE>"
    assert workspace.replies(room.id, room_card.ts) == [], "the room's own card is not told of itself"
    assert f"<#{room.id}>" in report.message


def test_a_second_click_joins_the_room_instead_of_opening_another(
    make_rooms: MakeRooms, carded: Carded, workspace: SlackWorkspace
) -> None:
    incident = carded("search slow", "search", "error")
    rooms = make_rooms()
    first = rooms.open("U0ALICE", incident, origin=_origin(workspace, "C0SEARCH", incident))
    second = rooms.open("U0CAROL", incident)
    again = rooms.open("U0CAROL", incident)

    assert [first.outcome, second.outcome, again.outcome] == [
        RoomOutcome.CREATED,
        RoomOutcome.JOINED,
        RoomOutcome.ALREADY_IN,
    ]
    assert first.channel == second.channel == again.channel
    assert len(workspace.calls_to("conversations.create")) == 1
    assert set(_room_channel(workspace, first).members) == {workspace.bot_user_id, "U0ALICE", "U0CAROL"}
    assert len(workspace.messages(str(first.channel))) == 1


def test_two_replicas_clicked_at_once_open_one_room_and_both_people_are_in_it(
    make_rooms: MakeRooms, carded: Carded, workspace: SlackWorkspace
) -> None:
    incident = carded("search down", "search")
    replicas = [make_rooms("replica-a"), make_rooms("replica-b")]
    barrier = threading.Barrier(2)
    reports: dict[str, RoomReport] = {}

    def click(rooms: WarRooms, user: str) -> None:
        barrier.wait()
        reports[user] = rooms.open(user, incident)

    threads = [
        threading.Thread(target=click, args=(replicas[0], "U0ALICE")),
        threading.Thread(target=click, args=(replicas[1], "U0CAROL")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcomes = sorted(report.outcome.value for report in reports.values())
    assert outcomes in (["created", "joined"], ["already_in", "created"]), reports
    assert len(workspace.calls_to("conversations.create")) == 1
    channel = reports["U0ALICE"].channel
    assert channel is not None and channel == reports["U0CAROL"].channel
    assert {"U0ALICE", "U0CAROL"} <= set(_room_channel(workspace, reports["U0ALICE"]).members)
    assert len(workspace.messages(channel)) == 1, "one card in the room"


def test_a_taken_name_gets_a_suffix(
    make_rooms: MakeRooms, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    incident = sim.create_incident(name="disk full", severity="error", application="search")
    base = make_rooms().open("U0ALICE", incident)
    assert base.outcome is RoomOutcome.CREATED
    taken = _room_channel(workspace, base).name
    other = sim.create_incident(name="disk full", severity="error", application="search")
    workspace.add_channel("C0TAKEN2", taken + "-2")
    report = make_rooms().open("U0ALICE", other)
    assert report.outcome is RoomOutcome.CREATED
    assert _room_channel(workspace, report).name == taken + "-3"


def test_the_room_card_offers_archive_once_closed_and_the_original_card_does_not(
    parts: Parts,
    make_rooms: MakeRooms,
    carded: Carded,
    sim: SimulatedCoralogix,
    client: IncidentsClient,
    workspace: SlackWorkspace,
) -> None:
    incident = carded("checkout", "shop")
    report = make_rooms().open("U0ALICE", incident)
    sim.close(incident, by="lead@example.com")
    closed = client.batch_get_incidents([incident]).found[incident]
    for message in parts.store.messages_for(incident):
        assert parts.sender.update_card(closed, message)
    assert str(report.channel) in {m.channel for m in parts.store.messages_for(incident)}
    [room_card] = workspace.messages(str(report.channel))
    assert _action_ids(room_card) == [ActionId.DETAILS, ActionId.ARCHIVE_ROOM]
    assert ActionId.ARCHIVE_ROOM not in _action_ids(card(workspace, "C0PAYMENTS", incident))


def test_archive_only_after_close_only_for_those_who_may_close_and_once(
    parts: Parts, make_rooms: MakeRooms, carded: Carded, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    incident = carded("checkout", "shop")
    rooms = make_rooms()
    channel = str(rooms.open("U0ALICE", incident).channel)
    origin = CardOrigin(channel, workspace.messages(channel)[0].ts)

    early = archive_room(rooms, "U0LEAD", incident, origin)
    assert early.outcome is RoomOutcome.REFUSED and "not closed yet" in early.message
    sim.close(incident, by="lead@example.com")
    refused = archive_room(rooms, "U0ALICE", incident, origin)
    assert refused.outcome is RoomOutcome.REFUSED and "permissions.close" in refused.message
    elsewhere = archive_room(rooms, "U0LEAD", incident, _origin(workspace, "C0PAYMENTS", incident))
    assert elsewhere.outcome is RoomOutcome.REFUSED
    assert not next(c for c in workspace.channels() if c.id == channel).is_archived

    closed_now = rooms.open("U0ALICE", incident)
    assert closed_now.outcome is RoomOutcome.CLOSED
    assert f"Its war room <#{channel}> is still open" in closed_now.message
    done = archive_room(rooms, "U0LEAD", incident, origin)
    assert done.outcome is RoomOutcome.ARCHIVED, done
    assert next(c for c in workspace.channels() if c.id == channel).is_archived
    assert parts.store.message(incident, channel) is None, "an archived room's card is no longer updated"
    room = parts.store.room(incident)
    assert room is not None and room.state is RoomState.ARCHIVED and room.archived_by == "U0LEAD"
    links = [r.text for r in workspace.replies("C0PAYMENTS", card(workspace, "C0PAYMENTS", incident).ts)]
    assert f"War room <#{channel}> archived by <@U0LEAD>" in links
    twice = archive_room(rooms, "U0LEAD", incident, origin)
    assert twice.outcome is RoomOutcome.ARCHIVED and "already" in twice.message
    assert len(workspace.calls_to("conversations.archive")) == 1
    after = rooms.open("U0ALICE", incident)
    assert after.outcome is RoomOutcome.CLOSED and "still open" not in after.message


def test_bad_input_gets_a_clear_answer(make_rooms: MakeRooms, sim: SimulatedCoralogix) -> None:
    rooms = make_rooms()
    closed = sim.create_incident(name="old", severity="critical", application="search")
    sim.close(closed, by="lead@example.com")
    report = rooms.open("U0ALICE", closed)
    assert report.outcome is RoomOutcome.CLOSED and report.message.endswith("is closed: no room for it.")
    unknown = rooms.open("U0ALICE", "ffffffff-0000-0000-0000-000000000000")
    assert unknown.outcome is RoomOutcome.NOT_FOUND and "No incident has the id" in unknown.message
    assert rooms.open("U0ALICE", "  ").outcome is RoomOutcome.NOT_FOUND


def test_who_may_open_a_room(
    make_rooms: MakeRooms, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    shop = sim.create_incident(name="checkout", severity="critical", application="shop")
    unmapped = make_rooms().open("U0NOMAIL", shop)
    assert unmapped.outcome is RoomOutcome.REFUSED and "I don't know who <@U0NOMAIL> is" in unmapped.message
    guest = make_rooms().open("U0GUEST", shop)
    assert guest.outcome is RoomOutcome.REFUSED
    only_lead = {**ROUTING, "permissions": {"ack": ["U0LEAD"]}}
    refused = make_rooms(routing=only_lead).open("U0ALICE", shop)
    assert refused.outcome is RoomOutcome.REFUSED and "permissions.ack" in refused.message
    workspace.add_user("U0DAVE", "dave", "dave@example.com")
    not_responder = make_rooms().open("U0DAVE", shop)
    assert not_responder.outcome is RoomOutcome.REFUSED and "only its responders" in not_responder.message
    assert workspace.calls_to("conversations.create") == []


def test_a_click_on_a_card_of_another_incident_is_refused(
    make_rooms: MakeRooms, carded: Carded, workspace: SlackWorkspace
) -> None:
    one, two = carded("one", "search"), carded("two", "search")
    report = make_rooms().open("U0ALICE", two, origin=_origin(workspace, "C0SEARCH", one))
    assert report.outcome is RoomOutcome.REFUSED and "does not belong" in report.message


def test_without_channels_manage_the_clicker_is_told_what_to_add_and_may_retry(
    parts: Parts, make_rooms: MakeRooms, sim: SimulatedCoralogix, workspace: SlackWorkspace
) -> None:
    incident = sim.create_incident(name="checkout", severity="critical", application="search")
    scopes = workspace.scopes
    workspace.scopes = tuple(s for s in scopes if s != "channels:manage")
    report = make_rooms().open("U0ALICE", incident)
    assert report.outcome is RoomOutcome.FAILED
    assert "`channels:manage`" in report.message and "reinstall" in report.message
    assert parts.store.room(incident) is None, "nothing claimed: the next click tries again"
    workspace.scopes = scopes
    assert make_rooms().open("U0ALICE", incident).outcome is RoomOutcome.CREATED
