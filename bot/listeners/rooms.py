"""The war-room buttons: "War room" on critical and error cards, "Archive room" on a closed room's card.

Both acknowledge at once and do the work in the pool; the answer goes to the clicker alone (the room
itself, and the line in the original card's thread, tell everyone else).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.actions.model import CardOrigin
from bot.actions.room_archive import archive_room
from bot.actions.rooms import RoomOutcome, RoomReport, WarRooms
from bot.listeners.actions import card_origin, clicked
from bot.listeners.deps import Interactivity
from bot.listeners.replies import Reply
from bot.slack.ids import ActionId

Listener = Callable[[Ack, dict[str, Any]], None]


def register(app: App, deps: Interactivity) -> None:
    app.action(ActionId.WAR_ROOM.value)(_button(deps, _open))
    app.action(ActionId.ARCHIVE_ROOM.value)(_button(deps, _archive))


def tell(report: RoomReport, reply: Reply) -> None:
    """The clicker hears what came of it: a notice when it went through, an error otherwise."""
    if report.ok:
        reply.notice(report.message)
    else:
        reply.error(report.message)


def _open(rooms: WarRooms, user: str, incident_id: str, origin: CardOrigin | None) -> RoomReport:
    """From a channel's card (checked to be the incident's), or from one only the clicker sees."""
    return rooms.open(user, incident_id, origin=origin)


def _archive(rooms: WarRooms, user: str, incident_id: str, origin: CardOrigin | None) -> RoomReport:
    if origin is None:
        return RoomReport(RoomOutcome.REFUSED, "Archive a war room from its card in the room.")
    return archive_room(rooms, user, incident_id, origin)


Job = Callable[[WarRooms, str, str, CardOrigin | None], RoomReport]


def _button(deps: Interactivity, job: Job) -> Listener:
    def on_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        _, value = clicked(body)
        reply = Reply.to_request(deps.gateway, body)
        origin = card_origin(body)  # None: a card only the clicker sees, on no recorded message
        if value is None:
            reply.error("That button does not say which incident it is about; nothing was done.")
            return
        if deps.rooms is None:
            reply.error("War rooms are not set up on this bot; nothing was done.")
            return
        user = reply.user
        too_fast = deps.pace.refusal(user)
        if too_fast is not None:
            reply.error(too_fast)
            return
        work = partial(_run, job, deps.rooms, user, value.incident_id, origin=origin, reply=reply)
        deps.work.submit(work, on_error=reply.error)

    on_click.__name__ = f"on_{job.__name__.strip('_')}_room"
    return on_click


def _run(
    job: Job, rooms: WarRooms, user: str, incident_id: str, *, origin: CardOrigin | None, reply: Reply
) -> None:
    tell(job(rooms, user, incident_id, origin), reply)
