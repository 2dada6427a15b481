"""War rooms: one Slack channel per incident, opened from its card ("War room") or `/cx room ID`.

The first click anywhere claims the incident in the database (`store/rooms.py`) and only that caller asks
Slack for the channel; every other click, on any replica, joins the clicker to the room instead. The
room gets the clicker, the assignee (when the bot can map them to a Slack user) and the route's
responders, and the incident's live card, recorded like any other card so that polls and actions keep it
current; the original cards' threads link to it. Once the incident is closed, the room's card offers
"Archive room" (`room_archive.py`).

Who may: anyone mapped who may acknowledge (`permissions.ack`; the runtime contract has no `room` key)
and, where the incident's routes name responders, only those.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.actions.authority import Authority, GroupLookupError, UserGroups
from bot.actions.model import CardOrigin
from bot.actions.references import IncidentFinder, Missing
from bot.actions.room_names import candidates
from bot.actions.wording import incident_label
from bot.cards import CardSender, fingerprint
from bot.config import Action, RoutingConfig
from bot.domain import Incident
from bot.errors import CoralogixError, SlackError
from bot.identity import IdentityResolver
from bot.metrics import Metrics
from bot.routing_file import is_user_group, matching_routes
from bot.slack.blocks import SlackUserOf
from bot.slack.gateway import SlackGateway
from bot.store import Store
from bot.store.rows import MessageKind, RoomRow, RoomState

log = logging.getLogger(__name__)

ROOM_RULE = Action.ACK
"""The permission that decides who may open or join a war room."""
CREATE_TIMEOUT = timedelta(seconds=60)
"""A `creating` claim older than this belongs to a replica that died mid-way; the next click takes it."""
JOIN_WAIT_SECONDS = 15.0
"""How long a click waits for a room another click is creating right now, before asking to click again."""
JOIN_POLL_SECONDS = 0.25
MAX_INVITES = 50
"""People invited when a room opens (one conversations.invite each): a large user group is cut here."""
MANAGE_SCOPE = "channels:manage"


class RoomOutcome(StrEnum):
    CREATED = "created"
    JOINED = "joined"
    ALREADY_IN = "already_in"
    ARCHIVED = "archived"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    CLOSED = "closed"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True)
class RoomReport:
    """What came of a click or command; `message` is mrkdwn for the person who asked."""

    outcome: RoomOutcome
    message: str
    channel: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in {
            RoomOutcome.CREATED,
            RoomOutcome.JOINED,
            RoomOutcome.ALREADY_IN,
            RoomOutcome.ARCHIVED,
        }


def missing_scope(what: str) -> str:
    """The sentence for Slack's `missing_scope`: which scope to add, and where."""
    return (
        f"I could not {what}: the Slack app lacks the `{MANAGE_SCOPE}` scope. Whoever runs the bot: add it "
        "under *OAuth & Permissions → Bot Token Scopes* (it is in `manifest.yaml`) and reinstall the app."
    )


class WarRooms:
    def __init__(
        self,
        *,
        store: Store,
        gateway: SlackGateway,
        sender: CardSender,
        finder: IncidentFinder,
        identities: IdentityResolver,
        authority: Authority,
        groups: UserGroups,
        routing: RoutingConfig,
        slack_user_of: SlackUserOf,
        metrics: Metrics,
        replica_id: str,
        clock: Callable[[], datetime],
        command: str = "/cx",
        sleep: Callable[[float], None] = time.sleep,
        join_wait: float = JOIN_WAIT_SECONDS,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.sender = sender
        self.finder = finder
        self.identities = identities
        self.authority = authority
        self._groups = groups
        self._routing = routing
        self._slack_user_of = slack_user_of
        self.metrics = metrics
        self.replica = replica_id
        self.clock = clock
        self.command = command
        self._sleep = sleep
        self._join_wait = join_wait

    # ------------------------------------------------------------------------------- open or join

    def open(self, slack_id: str, ref: str, *, origin: CardOrigin | None = None) -> RoomReport:
        """Open the incident's war room, or join it when it exists; `origin` is the card clicked."""
        report = self._open(slack_id, ref.strip(), origin)
        self.metrics.actions.labels(action="room", result=report.outcome.value).inc()
        return report

    def _open(self, slack_id: str, ref: str, origin: CardOrigin | None) -> RoomReport:
        if not ref:
            return RoomReport(RoomOutcome.NOT_FOUND, f"Name the incident: `{self.command} room ID`.")
        refusal = self.refusal(slack_id, ROOM_RULE)
        if refusal is not None:
            return RoomReport(RoomOutcome.REFUSED, refusal)
        found = self.incident(ref)
        if isinstance(found, RoomReport):
            return found
        incident = found
        if origin is not None and not self.on_card(incident.id, origin):
            return RoomReport(
                RoomOutcome.REFUSED,
                "That button does not belong to the incident card it is on, so I did nothing. "
                f"Use `{self.command} room ID` instead.",
            )
        if incident.is_closed:
            message = f"{incident_label(incident)} is closed: no room for it."
            earlier = self.store.room(incident.id)
            if earlier is not None and earlier.state is RoomState.OPEN and earlier.channel:
                message += f" Its war room <#{earlier.channel}> is still open, until someone archives it."
            return RoomReport(RoomOutcome.CLOSED, message)
        refusal = self.authority.refusal_on(slack_id, incident)
        if refusal is not None:
            return RoomReport(RoomOutcome.REFUSED, f"{incident_label(incident)}: {refusal}")
        now = self.clock()
        room = self.store.claim_room(
            incident.id, slack_id, self.replica, stale_before=now - CREATE_TIMEOUT, now=now
        )
        if room is None:
            return self._create(incident, slack_id)
        return self._join(room, incident, slack_id)

    def refusal(self, slack_id: str, rule: Action) -> str | None:
        """Why this person may not use rooms at all (unmapped, or the permission names others), or None."""
        identity = self.identities.resolve(slack_id)
        if not identity.is_mapped:
            return identity.reason
        return self.authority.refusal(slack_id, rule)

    def incident(self, ref: str) -> Incident | RoomReport:
        """The incident `ref` names (read with the team key), or the report of why there is none."""
        try:
            lookup = self.finder.find_one(ref)
        except CoralogixError as exc:
            return RoomReport(RoomOutcome.FAILED, f"I could not read the incident from Coralogix: {exc}")
        if isinstance(lookup, Missing):
            return RoomReport(RoomOutcome.NOT_FOUND, lookup.reason)
        return lookup.incident

    def _create(self, incident: Incident, slack_id: str) -> RoomReport:
        """This caller holds the claim: make the channel, fill it, post the card, link it."""
        made = self._make_channel(incident)
        if isinstance(made, RoomReport):
            self.store.release_room(incident.id, self.replica)
            return made
        channel, name = made
        if not self.store.room_opened(incident.id, self.replica, channel, name, self.clock()):
            log.warning("the war room claim of %s was taken over while creating %s", incident.id, name)
        invited, problems = self._invite(channel, self._people(incident, slack_id))
        card = self._post_card(incident, channel, owned=True)
        self.tell_cards(
            incident.id, f"War room: <#{channel}>, opened by <@{slack_id}>", f"war-room:{channel}"
        )
        others = [f"<@{user}>" for user in invited if user != slack_id]
        message = f"I opened the war room <#{channel}> for {incident_label(incident)}"
        message += f" and invited {', '.join(others)}." if others else "."
        if problems:
            message += " " + " ".join(problems)
        if card is not None:
            message += " " + card
        log.info("war room %s (%s) opened for %s by %s", name, channel, incident.id, slack_id)
        return RoomReport(RoomOutcome.CREATED, message, channel)

    def _make_channel(self, incident: Incident) -> tuple[str, str] | RoomReport:
        for name in candidates(incident, self.clock().date()):
            try:
                return self.gateway.create_channel(name), name
            except SlackError as exc:
                if exc.error == "name_taken":
                    continue
                if exc.error == "missing_scope":
                    return RoomReport(RoomOutcome.FAILED, missing_scope("create the war room's channel"))
                log.warning("conversations.create %s failed: %s", name, exc)
                return RoomReport(RoomOutcome.FAILED, f"Slack would not create the war room: {exc}")
        return RoomReport(
            RoomOutcome.FAILED,
            f"Slack has channels by every name I would give the war room of {incident_label(incident)}; "
            "nothing was created.",
        )

    def _join(self, room: RoomRow, incident: Incident, slack_id: str) -> RoomReport:
        deadline = time.monotonic() + self._join_wait
        while room.state is RoomState.CREATING and time.monotonic() < deadline:
            self._sleep(JOIN_POLL_SECONDS)
            found = self.store.room(incident.id)
            if found is None:  # its creator failed and let go: try again from the start
                return self._open(slack_id, incident.id, None)
            room = found
        if room.state is RoomState.CREATING or room.channel is None:
            return RoomReport(
                RoomOutcome.BUSY,
                f"<@{room.opened_by}> is opening the war room of {incident_label(incident)} right now; "
                "click again in a few seconds to join it.",
            )
        channel = room.channel
        if room.state is RoomState.ARCHIVED:
            return RoomReport(
                RoomOutcome.CLOSED, f"The war room <#{channel}> of {incident_label(incident)} is archived."
            )
        try:
            added = self.gateway.invite_to_channel(channel, slack_id)
        except SlackError as exc:
            if exc.error == "missing_scope":
                return RoomReport(RoomOutcome.FAILED, missing_scope("add you to the war room"))
            return RoomReport(RoomOutcome.FAILED, f"I could not add you to <#{channel}>: {exc}", channel)
        card = self._post_card(incident, channel, owned=False) if room.card_ts is None else None
        if added:
            message = f"You joined the war room <#{channel}> of {incident_label(incident)}."
        else:
            message = f"You are already in the war room <#{channel}> of {incident_label(incident)}."
        if card is not None:
            message += " " + card
        return RoomReport(RoomOutcome.JOINED if added else RoomOutcome.ALREADY_IN, message, channel)

    def on_card(self, incident_id: str, origin: CardOrigin) -> bool:
        """Whether the clicked message is one the bot recorded for this incident."""
        return incident_id in {m.incident_id for m in self.store.messages_at(origin.channel, origin.ts)}

    def tell_cards(self, incident_id: str, line: str, key: str) -> None:
        """A line in the thread of each of the incident's messages but its war room's card."""
        for message in self.store.messages_for(incident_id):
            if message.is_posted and message.ts and message.kind is not MessageKind.ROOM:
                self.sender.thread(message, [line], key)

    # ----------------------------------------------------------------------------------- the room

    def _people(self, incident: Incident, clicker: str) -> list[str]:
        """The clicker, the assignee when mapped to a Slack user, the routes' responders (groups expanded)."""
        people = [clicker]
        if incident.assignee:
            candidate = self._slack_user_of(incident.assignee)
            if candidate and _same(self.identities.resolve(candidate).coralogix_user, incident.assignee):
                people.append(candidate)
        for route in matching_routes(incident, self._routing):
            for entry in route.responders or ():
                if not is_user_group(entry):
                    people.append(entry)
                    continue
                try:
                    people.extend(sorted(self._groups.members(entry)))
                except GroupLookupError as exc:
                    log.warning("war room of %s: %s", incident.id, exc)
        return list(dict.fromkeys(people))[:MAX_INVITES]

    def _invite(self, channel: str, people: Sequence[str]) -> tuple[list[str], list[str]]:
        """Invite each person; returns who is in the room now and a sentence per problem."""
        inside: list[str] = []
        problems: list[str] = []
        for user in people:
            try:
                self.gateway.invite_to_channel(channel, user)
            except SlackError as exc:
                if exc.error == "missing_scope":
                    return inside, [missing_scope("invite people to the war room")]
                if exc.error == "cant_invite_self":
                    continue
                problems.append(f"I could not invite <@{user}> ({exc.error or exc}).")
                continue
            inside.append(user)
        return inside, problems

    def _post_card(self, incident: Incident, channel: str, *, owned: bool) -> str | None:
        """Post the room's live card once across replicas; a sentence when it failed, else None.

        `owned`: the room's creator, who holds the card's claim; anyone else must win it first (it is
        free when an earlier attempt failed, or its creator died).
        """
        now = self.clock()
        stale = now - CREATE_TIMEOUT
        if not owned and not self.store.claim_room_card(
            incident.id, self.replica, stale_before=stale, now=now
        ):
            return None  # its creator is posting it, or it is there
        try:
            ts = self.gateway.post_message(channel, self.sender.card(incident, in_room=True))
        except SlackError as exc:
            self.store.release_room_card(incident.id, self.replica)
            log.warning("could not post the card of %s in its war room %s: %s", incident.id, channel, exc)
            return f"The incident's card is not in the room yet ({exc}); click again to post it."
        self.store.record_posted(
            incident.id, channel, ts, ts, fingerprint(incident), self.clock(), kind=MessageKind.ROOM
        )
        self.store.room_card_posted(incident.id, ts, self.clock())
        return None


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.strip().lower() == b.strip().lower()
