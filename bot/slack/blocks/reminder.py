"""A reminder: a thread reply under an unacknowledged incident's card (or storm digest), broadcast to
the channel, naming how long it waited, mentioning the route's escalation targets, with a Snooze button."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.durations import in_words
from bot.slack.blocks.elements import context, packed_sections, plain_object, section
from bot.slack.blocks.mrkdwn import FALLBACK_TEXT_LIMIT, MAX_TITLE_IN_LINE, fit, incident_url
from bot.slack.ids import REMINDER_METADATA_EVENT_TYPE, ReminderActionId
from bot.slack.limits import MAX_MESSAGE_BLOCKS, truncate
from bot.slack.payload import Block, MessagePayload

_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")
MAX_LISTED = 40


def mention(entry: str) -> str:
    """A `remind.mention` entry as Slack shows it: a user ID or group ID becomes a mention; an entry
    already written as one (`<@U…>`, `<!subteam^S…>`, `<!here>`) is kept as it is."""
    entry = entry.strip()
    if _USER.match(entry):
        return f"<@{entry}>"
    if _GROUP.match(entry):
        return f"<!subteam^{entry}>"
    if entry.startswith("<") and entry.endswith(">"):
        return entry
    return fit(entry, 100)


def snooze_label(seconds: int) -> str:
    """ "Snooze 30 min", "Snooze 2 h", "Snooze 45 s": short enough for a button."""
    if seconds % 3600 == 0:
        return f"Snooze {seconds // 3600} h"
    if seconds % 60 == 0:
        return f"Snooze {seconds // 60} min"
    return f"Snooze {seconds} s"


def reminder_message(
    *,
    thread_ts: str,
    step: int,
    times: int,
    waited: timedelta,
    incidents: Sequence[tuple[str, str]],
    mentions: Sequence[str] = (),
    snooze_seconds: int = 1800,
    team_url: str | None = None,
    digest: bool = False,
    stopped: str | None = None,
) -> MessagePayload:
    """Step `step` of `times` for the unacknowledged `incidents` (id, title) under the message `thread_ts`.

    `stopped` redraws a reminder already posted once its series has ended: the same words, the reason in
    place of the Snooze button (the metadata keeps what the redraw needs)."""
    who = " ".join(mention(m) for m in mentions if m.strip())
    waited_words = in_words(waited)
    if digest:
        head = (
            f":alarm_clock: *{len(incidents)} incident{'' if len(incidents) == 1 else 's'} of this storm "
            f"still unacknowledged* after up to *{waited_words}*:"
        )
    else:
        title = incidents[0][1] if incidents else ""
        head = (
            f":alarm_clock: *{fit(title, MAX_TITLE_IN_LINE)}* is still unacknowledged after *{waited_words}*."
        )
    if who:
        head = f"{who} {head}"
    blocks: list[Block] = [section(head)]
    if digest:
        lines = [_line(incident_id, title, team_url) for incident_id, title in incidents[:MAX_LISTED]]
        if len(incidents) > MAX_LISTED:
            lines.append(f"+{len(incidents) - MAX_LISTED} more")
        sections, _ = packed_sections(lines, MAX_MESSAGE_BLOCKS - 3)
        blocks.extend(sections)
    if stopped is not None:
        blocks.append(
            context(f"Reminder {step} of {times} · :white_check_mark: no more reminders: {stopped}")
        )
    else:
        blocks.append(
            context(f"Reminder {step} of {times} · acknowledge, assign, resolve or close to stop them")
        )
        blocks.append(_snooze_button(thread_ts, step, snooze_seconds))
    metadata = {
        "event_type": REMINDER_METADATA_EVENT_TYPE,
        "event_payload": {
            "thread_ts": thread_ts,
            "step": step,
            "incident_ids": [incident_id for incident_id, _ in incidents],
            "times": times,
            "waited_seconds": waited.total_seconds(),
            "mentions": list(mentions),
        },
    }
    text = truncate(
        f"{who + ' ' if who else ''}Still unacknowledged after {waited_words}", FALLBACK_TEXT_LIMIT
    )
    return MessagePayload(text=text, blocks=blocks, metadata=metadata)


def _snooze_button(thread_ts: str, step: int, snooze_seconds: int) -> Block:
    return {
        "type": "actions",
        "block_id": f"reminder:{step}",
        "elements": [
            {
                "type": "button",
                "text": plain_object(snooze_label(snooze_seconds)),
                "action_id": ReminderActionId.SNOOZE.value,
                "value": thread_ts,
            }
        ],
    }


def snoozed_note(user: str, until: datetime) -> MessagePayload:
    """The thread line a snooze leaves: "Reminders snoozed by @x until 14:30" (in each reader's time)."""
    at = until.astimezone(UTC)
    epoch = int(at.timestamp())
    when = f"<!date^{epoch}^{{time}}|{at:%H:%M} UTC>"
    text = f":zzz: Reminders snoozed by <@{user}> until {when}"
    return MessagePayload(text=f"Reminders snoozed by <@{user}> until {at:%H:%M} UTC", blocks=[context(text)])


def _line(incident_id: str, title: str, team_url: str | None) -> str:
    ref = (
        f"<{incident_url(team_url, incident_id)}|{fit(incident_id, 60)}>"
        if team_url
        else f"`{fit(incident_id, 60, code=True)}`"
    )
    return f"• *{fit(title, MAX_TITLE_IN_LINE)}* · {ref}"
