"""Reminders that stop as soon as their incidents stop waiting, redrawn without their Snooze button.

Once every incident a series reminds of is acknowledged, assigned, resolved or closed, its reminders'
Snooze buttons could only answer "nothing to snooze". The lease holder ends such a series on its next
tick (not at its next step) and redraws each reminder it posted with the reason where the button was,
from what the reminder's own metadata says (step, incidents listed, time waited, mentions).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.domain import Status
from bot.errors import SlackError
from bot.reminders.sending import ThreadReplies
from bot.slack.blocks.reminder import reminder_message
from bot.slack.payload import MessagePayload
from bot.store.reminders import ReminderSeries
from bot.store.rows import Snapshot

log = logging.getLogger(__name__)


def stop_reason(snapshots: Sequence[Snapshot | None]) -> str:
    """Why a series ended, as its reminders say it: one incident's new state, or a storm's."""
    if len(snapshots) != 1:
        return "every incident listed was acknowledged, assigned, resolved or closed."
    [snapshot] = snapshots
    if snapshot is None or snapshot.closed:
        return "the incident was closed."
    if snapshot.status is Status.RESOLVED:
        return "the incident was resolved."
    if snapshot.status is Status.ACKNOWLEDGED:
        return "the incident was acknowledged."
    if snapshot.assignee is not None:
        return "the incident was assigned."
    return "the incident no longer waits."


def redraw_stopped(
    replies: ThreadReplies, series: ReminderSeries, reason: str, *, team_url: str | None = None
) -> int:
    """Redraw the reminders `series` posted with `reason` in place of Snooze; returns how many were.

    Never raises: a reminder that cannot be read or redrawn keeps its button, whose click is answered
    that nothing is left to snooze."""
    try:
        posted = replies.reminders_in(series.channel, series.thread_ts)
    except SlackError as exc:
        log.warning(
            "reminders: could not read the thread %s in %s: %s", series.thread_ts, series.channel, exc
        )
        return 0
    redrawn = 0
    for ts, metadata in posted:
        payload = _stopped_payload(series, metadata, reason, team_url)
        if payload is None:
            continue  # a reminder from before its metadata said enough to redraw it
        try:
            replies.update_reply(series.channel, ts, payload)
        except SlackError as exc:
            log.warning("reminders: could not redraw the reminder %s in %s: %s", ts, series.channel, exc)
            continue
        redrawn += 1
    return redrawn


def _stopped_payload(
    series: ReminderSeries, metadata: Mapping[str, Any], reason: str, team_url: str | None
) -> MessagePayload | None:
    step, times, waited = metadata.get("step"), metadata.get("times"), metadata.get("waited_seconds")
    ids, mentions = metadata.get("incident_ids"), metadata.get("mentions")
    if not (isinstance(step, int) and isinstance(times, int) and isinstance(waited, int | float)):
        return None
    if not (isinstance(ids, list) and isinstance(mentions, list)):
        return None
    return reminder_message(
        thread_ts=series.thread_ts,
        step=step,
        times=times,
        waited=timedelta(seconds=waited),
        incidents=[(str(i), series.incidents.get(str(i), "")) for i in ids],
        mentions=[str(m) for m in mentions],
        team_url=team_url,
        digest=len(series.incidents) > 1,
        stopped=reason,
    )
