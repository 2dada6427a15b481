"""The live card of one incident: header, summary fields, the buttons its status allows, and a footer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain import APPLICATION_LABEL, SUBSYSTEM_LABEL, Incident, Severity, State, Status
from bot.slack.blocks.elements import context, header, mrkdwn_object, plain_object
from bot.slack.blocks.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    SlackUserOf,
    date_token,
    escape,
    fit,
    incident_url,
    nobody,
    severity_emoji,
    severity_word,
    status_word,
    title_text,
    user_ref,
)
from bot.slack.ids import METADATA_EVENT_TYPE, ActionId
from bot.slack.limits import (
    MAX_BUTTON_VALUE,
    MAX_SECTION_FIELD,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    truncate,
)
from bot.slack.payload import Block, MessagePayload
from bot.slack.text import strip_controls
from bot.slack.values import ActionValue, card_block_id, new_rendering

_STATUS_EMOJI = {
    Status.TRIGGERED: ":rotating_light:",
    Status.ACKNOWLEDGED: ":eyes:",
    Status.RESOLVED: ":white_check_mark:",
    Status.UNSPECIFIED: ":grey_question:",
}

_STATE_PHRASE = {State.TRIGGERED: "alert firing", State.RESOLVED: "alert cleared"}


def card_status(incident: Incident) -> str:
    """The status a card shows: `Incident.display_status` (kept by this name for the actions service)."""
    return incident.display_status


def incident_card(
    incident: Incident,
    *,
    team_url: str | None = None,
    slack_user_of: SlackUserOf = nobody,
    mentions: Sequence[str] = (),
    now: datetime | None = None,
    rendering: str | None = None,
    in_room: bool = False,
    folded: Sequence[str] = (),
) -> MessagePayload:
    """The live card of one incident; `mentions` go on the first post only, `now` stamps "Updated".

    `in_room`: the card in the incident's war room (no "War room" button; "Archive room" once closed).
    `folded`: thread lines of a closed incident that Slack's pace kept from its thread, shown on the card.

    `rendering` goes into the actions block's `block_id`: a fresh one when None (what Slack wants on
    every update); `""` draws the same card every time (for a fingerprint).
    """
    # mentions come from the routing file; a control character there would make Slack drop the text
    mention_line = " ".join(kept for kept in (strip_controls(m).strip() for m in mentions) if kept)
    summary: Block = {"type": "section", "fields": summary_fields(incident, slack_user_of)}
    description = strip_controls(incident.description, multiline=True).strip()
    if mention_line or description:
        room = MAX_SECTION_TEXT - (len(mention_line) + 1 if mention_line else 0)
        parts = [mention_line] if mention_line else []
        if description:
            parts.append(fit(description, max(room, 1), multiline=True))
        summary["text"] = mrkdwn_object(truncate("\n".join(parts), MAX_SECTION_TEXT))
    blocks: list[Block] = [
        header(f"{severity_emoji(incident.severity)} {title_text(incident)}"),
        summary,
        _card_actions(incident, team_url, new_rendering() if rendering is None else rendering, in_room),
        context(card_footer(incident, now)),
    ]
    if folded:
        blocks.append(context(folded_lines(folded)))
    text = fallback_text(incident)
    if mention_line:
        text = truncate(f"{mention_line} {text}", FALLBACK_TEXT_LIMIT)
    return MessagePayload(text=text, blocks=blocks, metadata=incident_metadata(incident))


FOLDED_INTRO = "Not posted in the thread (the channel was busy):"


def folded_lines(lines: Sequence[str]) -> str:
    """The folded lines under their intro; the newest kept when they do not all fit."""
    kept = [line.strip() for line in lines if line.strip()]
    room = MAX_SECTION_TEXT - len(FOLDED_INTRO) - 40
    shown: list[str] = []
    size = 0
    for line in reversed([truncate(line, MAX_SECTION_TEXT // 4) for line in kept]):
        size += len(line) + 1
        if size > room:
            break
        shown.insert(0, line)
    earlier = len(kept) - len(shown)
    head = [FOLDED_INTRO] + ([f"… {earlier} earlier"] if earlier else [])
    return "\n".join(head + shown)


def fallback_text(incident: Incident) -> str:
    """One line for notifications, e.g. ":red_circle: [CRITICAL] checkout 5xx — triggered (shop/checkout)"."""
    where = "/".join(part for part in (incident.application, incident.subsystem) if part)
    line = (
        f"{severity_emoji(incident.severity)} [{severity_word(incident.severity).upper()}] "
        f"{escape(title_text(incident))} — {incident.display_status}"
    )
    if where:
        line += f" ({escape(where)})"
    if incident.is_muted:
        line += " (muted)"
    return truncate(line, FALLBACK_TEXT_LIMIT)


def incident_metadata(incident: Incident) -> dict[str, Any]:
    """The message metadata that lets the bot find its card for an incident again."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {
            "incident_id": incident.id,
            "status": incident.display_status,
            "severity": incident.severity.value,
        },
    }


def summary_fields(incident: Incident, slack_user_of: SlackUserOf) -> list[Block]:
    """The card's fields (also the top of the details modal): severity, status, assignee, labels…"""
    severity = f"{severity_emoji(incident.severity)} {severity_word(incident.severity)}"
    if incident.priority:  # a case: its priority is what people talk about; severity follows from it
        severity += f" ({escape(incident.priority)})"
    fields = [
        f"*Severity*\n{severity}",
        f"*Status*\n{_status_text(incident)}",
        f"*Assignee*\n{user_ref(incident.assignee, slack_user_of) if incident.assignee else '_nobody_'}",
        f"*Created*\n{date_token(incident.created_at) if incident.created_at else '_unknown_'}",
    ]
    application, subsystem = incident.application, incident.subsystem
    if application or subsystem:
        fields.append(f"*Application / Subsystem*\n{escape(application or '—')} / {escape(subsystem or '—')}")
    fields.extend(_label_fields(incident, MAX_SECTION_FIELDS - len(fields)))
    return [mrkdwn_object(truncate(field, MAX_SECTION_FIELD)) for field in fields]


def _status_text(incident: Incident) -> str:
    if incident.is_closed:
        text = ":lock: Closed"
        if incident.closed_at is not None:
            text += f" {date_token(incident.closed_at)}"
        if incident.status is not Status.UNSPECIFIED:
            text += f"\n(was {incident.status.value})"
        return text
    text = f"{_STATUS_EMOJI[incident.status]} {status_word(incident.status)}"
    if incident.state in _STATE_PHRASE:
        text += f" · {_STATE_PHRASE[incident.state]}"
    return text


def card_labels(incident: Incident) -> list[tuple[str, str]]:
    """The display labels a card lists, sorted; application and subsystem have a field of their own."""
    shown = {APPLICATION_LABEL, SUBSYSTEM_LABEL}
    return sorted((k, v) for k, v in incident.display_labels.items() if k not in shown)


def _label_fields(incident: Incident, slots: int) -> list[str]:
    labels = card_labels(incident)
    if not labels or slots <= 0:
        return []
    if len(labels) <= slots:
        return [f"*{fit(key, 200)}*\n{fit(value, MAX_SECTION_FIELD - 210) or '—'}" for key, value in labels]
    singles = [f"*{fit(key, 200)}*\n{fit(value, 500) or '—'}" for key, value in labels[: slots - 1]]
    rest = labels[slots - 1 :]
    lines = [f"{fit(key, 200)}: {fit(value, 300)}" for key, value in rest]
    return [*singles, truncate(f"*Other labels ({len(rest)})*\n" + "\n".join(lines), MAX_SECTION_FIELD)]


def card_footer(incident: Incident, now: datetime | None) -> str:
    """The id to copy, muted, and (on a card) when it was last drawn."""
    parts = [f"ID `{fit(incident.id, 200, code=True)}`"]
    if incident.is_muted:
        parts.append(":mute: Muted")
    if now is not None:
        parts.append(f"Updated {date_token(now)}")
    return " · ".join(parts)


def _button(
    text: str, action_id: ActionId, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    button: Block = {
        "type": "button",
        "text": plain_object(text),
        "action_id": action_id.value,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def card_actions_block(
    incident: Incident, *, team_url: str | None = None, rendering: str | None = None
) -> Block:
    """The card's actions block on its own: the Home tab and link unfurls show it under a compact summary,
    so their buttons are the card's and reach the same listeners."""
    return _card_actions(incident, team_url, new_rendering() if rendering is None else rendering)


_CLOSE_CONFIRM: Block = {
    "title": plain_object("Close this incident?"),
    "text": plain_object(
        "Closing ends the incident in Coralogix for everyone; it cannot be reopened from Slack."
    ),
    "confirm": plain_object("Close it"),
    "deny": plain_object("Cancel"),
    "style": "danger",
}


WAR_ROOM_SEVERITIES = frozenset({Severity.CRITICAL, Severity.ERROR})
"""Severities whose cards offer a war room (`/cx room ID` opens one for any open incident)."""


def card_actions(incident: Incident, *, in_room: bool = False) -> list[ActionId]:
    """The actions a card offers for the incident's status (the link button aside).

    Open (triggered or unknown): acknowledge, resolve, assign to me, assign…, unassign (when assigned),
    close, details. Acknowledged: the same without acknowledge. Resolved: close and details only — the
    work is done; `/cx assign` still reassigns. Closed: details only. Critical and error cards add
    "War room" until closed, except in the war room itself, whose card offers "Archive room" once closed.
    """
    if incident.is_closed:
        return [ActionId.DETAILS, ActionId.ARCHIVE_ROOM] if in_room else [ActionId.DETAILS]
    room = [ActionId.WAR_ROOM] if not in_room and incident.severity in WAR_ROOM_SEVERITIES else []
    if incident.status is Status.RESOLVED:
        return [ActionId.CLOSE, *room, ActionId.DETAILS]
    actions = [] if incident.status is Status.ACKNOWLEDGED else [ActionId.ACK]
    actions += [ActionId.RESOLVE, ActionId.ASSIGN_ME, ActionId.ASSIGN]
    if incident.assignee:
        actions.append(ActionId.UNASSIGN)
    return [*actions, ActionId.CLOSE, *room, ActionId.DETAILS]


_ARCHIVE_CONFIRM: Block = {
    "title": plain_object("Archive this war room?"),
    "text": plain_object("The channel is archived for everyone; its history stays searchable."),
    "confirm": plain_object("Archive it"),
    "deny": plain_object("Cancel"),
}


def _card_actions(incident: Incident, team_url: str | None, rendering: str, in_room: bool = False) -> Block:
    action_value = ActionValue.of(incident)
    value = truncate(action_value.encode(), MAX_BUTTON_VALUE)
    elements: list[Block] = []
    for action in card_actions(incident, in_room=in_room):
        if action is ActionId.ACK:
            elements.append(_button("Acknowledge", action, value))
        elif action is ActionId.RESOLVE:
            elements.append(_button("Resolve", action, value, style="primary"))
        elif action is ActionId.ASSIGN_ME:
            elements.append(_button("Assign to me", action, value))
        elif action is ActionId.ASSIGN:
            elements.append(
                {"type": "users_select", "action_id": action.value, "placeholder": plain_object("Assign…")}
            )
        elif action is ActionId.UNASSIGN:
            elements.append(_button("Unassign", action, value))
        elif action is ActionId.CLOSE:
            elements.append(_button("Close", action, value, style="danger", confirm=_CLOSE_CONFIRM))
        elif action is ActionId.WAR_ROOM:
            elements.append(_button("War room", action, value))
        elif action is ActionId.DETAILS:
            elements.append(_button("Details", action, value))
        elif action is ActionId.ARCHIVE_ROOM:
            elements.append(_button("Archive room", action, value, confirm=_ARCHIVE_CONFIRM))
    if team_url:
        elements.append(
            {
                "type": "button",
                "text": plain_object("Open in Coralogix"),
                "action_id": ActionId.LINK.value,
                "url": incident_url(team_url, incident.id),
            }
        )
    return {"type": "actions", "block_id": card_block_id(action_value, rendering), "elements": elements}
