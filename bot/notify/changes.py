"""What changed on an incident since the bot last looked: the thread lines that tell people.

Pure functions: the poller passes the incident as last seen, the incident now, and only the events it has
not seen yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import EventKind, Incident, IncidentEvent, State, Status
from bot.slack.blocks import SlackUserOf, describe_event, event_by, nobody, user_ref


@dataclass
class _Explained:
    """Which field changes the new events already account for."""

    status: set[Status]
    state: set[State]
    closed: bool = False
    reopened: bool = False
    assignee: bool = False
    muted: bool = False


def describe_changes(
    old: Incident | None,
    new: Incident,
    events: Sequence[IncidentEvent],
    *,
    slack_user_of: SlackUserOf = nobody,
) -> list[str]:
    """Thread lines saying what changed and who did it: one per new event, then one per field change
    no event explains (said without "by"). With `old` None (first sight) only events count, and the
    opening of the incident itself is not repeated.
    """
    lines: list[str] = []
    explained = _Explained(status=set(), state=set())
    was_resolved = old is not None and (old.status is Status.RESOLVED or old.state is State.RESOLVED)
    muted: bool | None = old.is_muted if old is not None else None
    for event in events:
        line: str | None = None
        kind = event.kind
        if kind is EventKind.ACKNOWLEDGE:
            explained.status.add(Status.ACKNOWLEDGED)
            line = describe_event(event, slack_user_of)
        elif kind in (EventKind.ASSIGN, EventKind.UNASSIGN):
            explained.assignee = True
            line = describe_event(event, slack_user_of)
        elif kind is EventKind.CLOSE:
            explained.closed = True
            line = describe_event(event, slack_user_of)
        elif kind is EventKind.OPEN:
            if old is not None and old.is_closed:
                explained.reopened = True
                line = "Reopened" + event_by(event, slack_user_of)
        elif kind is EventKind.SNOOZE:
            explained.muted = True
            muted = True
            line = describe_event(event, slack_user_of)
        elif kind in (EventKind.COMMENT, EventKind.PRIORITY):  # Cases: said in the thread as they come
            line = describe_event(event, slack_user_of)
        elif kind is EventKind.UPSERT_STATE:
            upsert_lines, was_resolved = _upsert_lines(event, was_resolved, muted, explained, slack_user_of)
            if event.is_muted is not None:
                muted = event.is_muted
            lines.extend(upsert_lines)
        if line is not None:
            lines.append(line)
    if old is not None:
        lines.extend(_field_changes(old, new, explained, slack_user_of))
    return _without_repeats(lines)


def _upsert_lines(
    event: IncidentEvent,
    was_resolved: bool,
    muted: bool | None,
    explained: _Explained,
    slack_user_of: SlackUserOf,
) -> tuple[list[str], bool]:
    lines: list[str] = []
    if event.state is State.RESOLVED:
        explained.status.add(Status.RESOLVED)
        explained.state.add(State.RESOLVED)
        lines.append(describe_event(event, slack_user_of).removesuffix(" (muted)"))
        was_resolved = True
    elif event.state is State.TRIGGERED:
        explained.state.add(State.TRIGGERED)
        if was_resolved:
            explained.status.add(Status.TRIGGERED)
            lines.append("Re-triggered" + event_by(event, slack_user_of))
        was_resolved = False
    if event.is_muted is not None and event.is_muted != muted:
        explained.muted = True
        if muted is not None:
            lines.append(("Muted" if event.is_muted else "Unmuted") + event_by(event, slack_user_of))
    return lines, was_resolved


def _field_changes(
    old: Incident, new: Incident, explained: _Explained, slack_user_of: SlackUserOf
) -> list[str]:
    lines: list[str] = []
    if new.status is not old.status and new.status not in explained.status:
        said = {
            Status.ACKNOWLEDGED: "Acknowledged",
            Status.RESOLVED: "Resolved",
            Status.TRIGGERED: "Re-triggered",
        }
        if new.status in said:
            lines.append(said[new.status])
    if new.state is not old.state and new.state not in explained.state:
        # A status line already says "Re-triggered"; only a bare change of the alert condition needs a line.
        if new.state is State.RESOLVED:
            lines.append("Alert condition cleared")
        elif new.state is State.TRIGGERED and not (
            new.status is Status.TRIGGERED and old.status is not Status.TRIGGERED
        ):
            lines.append("Alert condition firing again")
    if new.is_closed and not old.is_closed and not explained.closed:
        lines.append("Closed")
    if old.is_closed and not new.is_closed and not explained.reopened:
        lines.append("Reopened")
    if new.assignee != old.assignee and not explained.assignee:
        lines.append(f"Assigned to {user_ref(new.assignee, slack_user_of)}" if new.assignee else "Unassigned")
    if new.severity is not old.severity:
        lines.append(f"Severity changed from {old.severity.value} to {new.severity.value}")
    if new.is_muted != old.is_muted and not explained.muted:
        lines.append("Muted" if new.is_muted else "Unmuted")
    return lines


def _without_repeats(lines: list[str]) -> list[str]:
    """Drop a line equal to the one before it (e.g. two identical automatic state updates)."""
    return [line for index, line in enumerate(lines) if index == 0 or line != lines[index - 1]]
