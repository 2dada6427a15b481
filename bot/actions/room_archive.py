"""Archiving a war room once its incident is closed: the "Archive room" button on the room's card.

Who may: whoever may close (`permissions.close`) and, where the routes name responders, only those. The
room is marked archived in the database first, so two clicks archive it once; a refusal from Slack
(e.g. `missing_scope`) opens it again. Once archived, its card is no longer tracked (Slack refuses edits
in an archived channel).
"""

from __future__ import annotations

import logging

from bot.actions.model import CardOrigin
from bot.actions.rooms import RoomOutcome, RoomReport, WarRooms, missing_scope
from bot.actions.wording import incident_label
from bot.config import Action
from bot.errors import SlackError
from bot.slack.blocks import thread_note
from bot.store.rows import RoomState

log = logging.getLogger(__name__)

ARCHIVE_RULE = Action.CLOSE


def archive_room(rooms: WarRooms, slack_id: str, incident_id: str, origin: CardOrigin) -> RoomReport:
    """Archive the war room whose card was clicked (`origin`), as `slack_id`."""
    report = _archive(rooms, slack_id, incident_id, origin)
    rooms.metrics.actions.labels(action="archive_room", result=report.outcome.value).inc()
    return report


def _archive(rooms: WarRooms, slack_id: str, incident_id: str, origin: CardOrigin) -> RoomReport:
    refusal = rooms.refusal(slack_id, ARCHIVE_RULE)
    if refusal is not None:
        return RoomReport(RoomOutcome.REFUSED, refusal)
    room = rooms.store.room(incident_id)
    if room is None or room.channel is None or room.channel != origin.channel:
        return RoomReport(
            RoomOutcome.REFUSED, "That button is not on the card of a war room I opened, so I did nothing."
        )
    channel = room.channel
    if room.state is RoomState.ARCHIVED:
        who = f"<@{room.archived_by}>" if room.archived_by else "someone"
        return RoomReport(RoomOutcome.ARCHIVED, f"{who} archived <#{channel}> already.", channel)
    found = rooms.incident(incident_id)
    if isinstance(found, RoomReport):
        return found
    incident = found
    if not incident.is_closed:
        return RoomReport(
            RoomOutcome.REFUSED,
            f"{incident_label(incident)} is not closed yet: close it first, then archive its war room.",
            channel,
        )
    refusal = rooms.authority.refusal_on(slack_id, incident)
    if refusal is not None:
        return RoomReport(RoomOutcome.REFUSED, f"{incident_label(incident)}: {refusal}", channel)
    if not rooms.store.start_archive(incident_id, slack_id, rooms.clock()):
        return RoomReport(RoomOutcome.ARCHIVED, f"<#{channel}> is being archived already.", channel)
    note = f"War room archived by <@{slack_id}>."
    try:
        rooms.gateway.post_message(channel, thread_note([note]))
        rooms.gateway.archive_channel(channel)
    except SlackError as exc:
        rooms.store.undo_archive(incident_id, rooms.clock())
        if exc.error == "missing_scope":
            return RoomReport(RoomOutcome.FAILED, missing_scope("archive the war room"), channel)
        log.warning("could not archive the war room %s of %s: %s", channel, incident_id, exc)
        return RoomReport(RoomOutcome.FAILED, f"Slack would not archive <#{channel}>: {exc}", channel)
    rooms.store.room_archived(incident_id, channel)
    rooms.tell_cards(
        incident_id, f"War room <#{channel}> archived by <@{slack_id}>", f"war-room-archived:{channel}"
    )
    log.info("war room %s of %s archived by %s", channel, incident_id, slack_id)
    return RoomReport(RoomOutcome.ARCHIVED, f"I archived the war room <#{channel}>.", channel)
