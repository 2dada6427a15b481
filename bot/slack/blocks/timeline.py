"""What happened to an incident, in words: a thread note of changes, and one sentence per event."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import EventKind, IncidentEvent, State
from bot.slack.blocks.elements import context, packed_sections
from bot.slack.blocks.mrkdwn import FALLBACK_TEXT_LIMIT, SlackUserOf, date_token, fit, nobody, user_ref
from bot.slack.limits import MAX_MESSAGE_BLOCKS, truncate
from bot.slack.payload import MessagePayload

COMMENT_IN_LINE = 500


def thread_note(lines: Sequence[str]) -> MessagePayload:
    """A reply in an incident's thread, one line per change (lines are mrkdwn, already escaped)."""
    kept = [line for line in lines if line.strip()] or ["(no change)"]
    sections, dropped = packed_sections(kept, MAX_MESSAGE_BLOCKS - 1)
    if dropped:
        sections.append(context(f"… and {dropped} more"))
    return MessagePayload(text=truncate("\n".join(kept), FALLBACK_TEXT_LIMIT), blocks=sections)


def event_by(event: IncidentEvent, slack_user_of: SlackUserOf = nobody) -> str:
    """Who made an event, as the end of a sentence: " by <@U…>", " by <system> (system)", or ""."""
    if event.who:
        return f" by {user_ref(event.who, slack_user_of)}"
    if event.system:
        return f" by {fit(event.system, 200)} (system)"
    return ""


def describe_event(event: IncidentEvent, slack_user_of: SlackUserOf = nobody) -> str:
    """One event as a sentence for a timeline, e.g. "Assigned to <@U0BOB> by alice@example.com"."""
    by = event_by(event, slack_user_of)
    kind = event.kind
    if kind is EventKind.ACKNOWLEDGE:
        return f"Acknowledged{by}"
    if kind is EventKind.ASSIGN:
        target = user_ref(event.assigned_to, slack_user_of) if event.assigned_to else "someone"
        return f"Assigned to {target}{by}"
    if kind is EventKind.UNASSIGN:
        return f"Unassigned{by}"
    if kind is EventKind.CLOSE:
        return f"Closed{by}"
    if kind is EventKind.OPEN:
        return f"Opened{by}"
    if kind is EventKind.SNOOZE:
        text = f"Muted for {event.snooze_minutes} minutes" if event.snooze_minutes else "Muted"
        if event.snooze_start is not None:
            text += f" from {date_token(event.snooze_start)}"
        return text + by
    if kind is EventKind.COMMENT:
        words = fit(event.text or "", COMMENT_IN_LINE)
        return f"Comment{by}: {words}" if words else f"Comment{by}"
    if kind is EventKind.PRIORITY:
        return f"Priority set to {fit(event.priority or 'unknown', 20)}{by}"
    if kind is EventKind.NOTIFICATION:
        return f"Notifications failed: {fit(event.text, 300)}" if event.text else "Notifications sent"
    if kind is EventKind.UPSERT_STATE:
        muted = " (muted)" if event.is_muted else ""
        if event.state is State.RESOLVED:
            return (f"Resolved{by}" if event.who else f"Alert condition cleared{by}") + muted
        if event.state is State.TRIGGERED:
            return f"Alert triggered{by}{muted}"
        return f"State updated{by}{muted}"
    return f"Event {fit(event.id, 100)}{by}"
