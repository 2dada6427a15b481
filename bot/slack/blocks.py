"""Every Block Kit payload the bot sends, built by pure functions from domain objects.

Nothing here talks to Slack or Coralogix; listeners, the notifier and the poller render with these and
send the result. Text that comes from Coralogix goes through `bot.slack.text` (`mrkdwn_text` for mrkdwn,
through `escape`/`fit` here; `plain_text` for every plain_text object) and is cut to Slack's limits here,
so a payload from this module shows such text literally and never fails on size (tests check each one
with `slack_sdk.models` and `limits`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.domain import (
    APPLICATION_LABEL,
    SUBSYSTEM_LABEL,
    AggregationGroup,
    EventKind,
    GroupField,
    Incident,
    IncidentEvent,
    Severity,
    State,
    Status,
)
from bot.slack.ids import METADATA_EVENT_TYPE, ActionId, BlockId, CallbackId, InputId
from bot.slack.limits import (
    MAX_BLOCK_ID,
    MAX_BUTTON_VALUE,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_MODAL_BLOCKS,
    MAX_PRIVATE_METADATA,
    MAX_SECTION_FIELD,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    MAX_TEXT_OBJECT,
    truncate,
)
from bot.slack.text import mrkdwn_text, plain_text, strip_controls

Block = dict[str, Any]
SlackUserOf = Callable[[str], str | None]
"""Maps a Coralogix user id (usually an e-mail) to a Slack user id, or None when unknown."""

CLOSED = "closed"
"""The `ActionValue.status` of a closed incident (closing is not a Coralogix status of its own)."""

FALLBACK_TEXT_LIMIT = 3000
"""Notification text is kept short: Slack shows only its start, and it is repeated on every update."""

MAX_LIST_LINE = 600
MAX_TITLE_IN_LINE = 150

_SEVERITY_EMOJI = {
    Severity.CRITICAL: ":red_circle:",
    Severity.ERROR: ":large_orange_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
    Severity.LOW: ":white_circle:",
    Severity.UNSPECIFIED: ":black_circle:",
}

_STATUS_EMOJI = {
    Status.TRIGGERED: ":rotating_light:",
    Status.ACKNOWLEDGED: ":eyes:",
    Status.RESOLVED: ":white_check_mark:",
    Status.UNSPECIFIED: ":grey_question:",
}

_SEVERITY_VALUES = frozenset(s.value for s in Severity)

_STATE_PHRASE = {State.TRIGGERED: "alert firing", State.RESOLVED: "alert cleared"}


def _nobody(_coralogix_user: str) -> str | None:
    return None


@dataclass(frozen=True)
class MessagePayload:
    """A message ready for chat.postMessage/chat.update: `text` is the notification fallback."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class ActionValue:
    """What a card button carries: the incident and the status the card showed, to spot stale clicks."""

    incident_id: str
    status: str

    def encode(self) -> str:
        return json.dumps({"incident_id": self.incident_id, "status": self.status}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> ActionValue | None:
        """The value of a button (or the actions block's `block_id`), or None if it is not one of ours."""
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        incident_id, status = data.get("incident_id"), data.get("status")
        if not isinstance(incident_id, str) or not incident_id or not isinstance(status, str):
            return None
        return cls(incident_id, status)

    @classmethod
    def of(cls, incident: Incident) -> ActionValue:
        return cls(incident.id, card_status(incident))

    @classmethod
    def from_click(cls, element: Mapping[str, Any], message: object = None) -> ActionValue | None:
        """The incident a clicked card element is about: a button's value, else its block's `block_id`.

        `message` is the clicked message as Slack sends it with the click; it is needed only for an id
        too long for a `block_id`, which then holds a digest that the card's buttons resolve.
        """
        value = element.get("value")
        if isinstance(value, str) and value:
            return cls.decode(value)
        block_id = str(element.get("block_id") or "")
        parts = block_id.split(":", 3)
        if len(parts) != 4 or parts[0] != CARD_BLOCK_PREFIX:
            return cls.decode(block_id)  # a card drawn before block_ids were short held the JSON value
        _, status, _, ref = parts
        if not ref.startswith("#"):
            return cls(ref, status) if ref else None
        for candidate in _button_values(message, block_id):
            found = cls.decode(candidate)
            if found is not None and _digest(found.incident_id) == ref[1:]:
                return cls(found.incident_id, status)
        return None


CARD_BLOCK_PREFIX = "cx1"
"""Starts the `block_id` of a card's actions block: `cx1:<status>:<rendering>:<incident id or #digest>`."""


def new_rendering() -> str:
    """A fresh token for one rendering of a card, so every chat.update carries new `block_id`s."""
    return secrets.token_hex(4)


def card_block_id(value: ActionValue, rendering: str) -> str:
    """The actions block's `block_id`: short (Slack allows 255), new per rendering, naming the incident.

    A select menu has no value, so this is how its listener knows the incident and the status the card
    showed. An id too long to fit (or one starting with `#`) is replaced by a digest of it.
    """
    head = f"{CARD_BLOCK_PREFIX}:{value.status}:{rendering}:"
    if len(head) + len(value.incident_id) <= MAX_BLOCK_ID and not value.incident_id.startswith("#"):
        return head + value.incident_id
    return head + "#" + _digest(value.incident_id)


def _digest(incident_id: str) -> str:
    return hashlib.sha256(incident_id.encode()).hexdigest()[:32]


def _button_values(message: object, block_id: str) -> Iterable[str]:
    """The button values of the block `block_id` in a message as Slack sends it with a click."""
    blocks = message.get("blocks") if isinstance(message, Mapping) else None
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, Mapping) and block.get("block_id") == block_id:
            for element in block.get("elements") or []:
                if isinstance(element, Mapping) and isinstance(element.get("value"), str):
                    yield element["value"]


def card_status(incident: Incident) -> str:
    """The status a card shows: "closed" once closed, else the Coralogix status."""
    return CLOSED if incident.is_closed else incident.status.value


# ---------------------------------------------------------------------------------------------- text


def escape(text: str) -> str:
    """Outside text for mrkdwn: `bot.slack.text.mrkdwn_text` (entities, formatting, controls)."""
    return mrkdwn_text(text)


def fit(raw: str, limit: int, *, code: bool = False, multiline: bool = False) -> str:
    """`raw` through `mrkdwn_text` and shortened so the result fits in `limit` characters."""
    escaped = mrkdwn_text(raw, code=code, multiline=multiline)
    if len(escaped) <= limit:
        return escaped
    body = escaped[: limit - 1]
    amp = body.rfind("&")
    if amp != -1 and ";" not in body[amp:]:
        body = body[:amp]  # never leave half an entity such as "&l"
    return body.rstrip() + "…"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_token(moment: datetime) -> str:
    """A Slack date token, which Slack shows in each reader's own time zone ("Today 14:06").

    The fallback, for clients that cannot render the token, is plain words in UTC ("Dec 2, 2026 14:06
    UTC"), not ISO 8601, which reads poorly and breaks mid-word in a narrow column.
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    epoch = int(utc.timestamp())
    at = datetime.fromtimestamp(epoch, UTC)
    fallback = f"{_MONTHS[at.month - 1]} {at.day}, {at.year} {at:%H:%M} UTC"
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def user_ref(coralogix_user: str, slack_user_of: SlackUserOf = _nobody) -> str:
    """`<@U…>` for a user mapped to Slack, else the Coralogix id as plain (escaped) text."""
    slack_id = slack_user_of(coralogix_user)
    return f"<@{slack_id}>" if slack_id else escape(coralogix_user)


def severity_emoji(severity: Severity) -> str:
    return _SEVERITY_EMOJI[severity]


def severity_word(severity: Severity) -> str:
    return "Unknown" if severity is Severity.UNSPECIFIED else severity.value.capitalize()


def status_word(status: Status) -> str:
    return "Unknown" if status is Status.UNSPECIFIED else status.value.capitalize()


def incident_url(team_url: str, incident_id: str) -> str:
    return f"{team_url.rstrip('/')}/#/incidents/{quote(incident_id, safe='')}"


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": plain_text(text), "emoji": True}


def _mrkdwn(text: str) -> Block:
    # the callers put outside text through `fit`/`escape`; this catches a control character they missed
    return {"type": "mrkdwn", "text": strip_controls(text, multiline=True)}


def _title(incident: Incident) -> str:
    """The incident's name for a plain_text header, else its id."""
    return plain_text(incident.title).strip() or plain_text(incident.id)


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(truncate(text.strip() or "Incident", MAX_HEADER_TEXT))}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _packed_sections(lines: Iterable[str], max_blocks: int) -> tuple[list[Block], int]:
    """Lines joined into as few sections as fit, at most `max_blocks`; also how many lines did not fit."""
    fitted = [truncate(line, MAX_SECTION_TEXT) for line in lines]
    sections: list[Block] = []
    current: list[str] = []
    size = 0
    for index, line in enumerate(fitted):
        if current and size + 1 + len(line) > MAX_SECTION_TEXT:
            sections.append(_section("\n".join(current)))
            current, size = [], 0
            if len(sections) == max_blocks:
                return sections, len(fitted) - index
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        sections.append(_section("\n".join(current)))
    return sections, 0


# ------------------------------------------------------------------------------------- incident card


def incident_card(
    incident: Incident,
    *,
    team_url: str | None = None,
    slack_user_of: SlackUserOf = _nobody,
    mentions: Sequence[str] = (),
    now: datetime | None = None,
    rendering: str | None = None,
) -> MessagePayload:
    """The live card of one incident; `mentions` go on the first post only, `now` stamps "Updated".

    `rendering` goes into the actions block's `block_id`: a fresh one when None (what Slack wants on
    every update); `""` draws the same card every time (for a fingerprint).
    """
    mention_line = " ".join(m for m in mentions if m.strip())
    section: Block = {"type": "section", "fields": _summary_fields(incident, slack_user_of)}
    description = strip_controls(incident.description, multiline=True).strip()
    if mention_line or description:
        room = MAX_SECTION_TEXT - (len(mention_line) + 1 if mention_line else 0)
        parts = [mention_line] if mention_line else []
        if description:
            parts.append(fit(description, max(room, 1), multiline=True))
        section["text"] = _mrkdwn(truncate("\n".join(parts), MAX_SECTION_TEXT))
    blocks: list[Block] = [
        _header(f"{severity_emoji(incident.severity)} {_title(incident)}"),
        section,
        _card_actions(incident, team_url, new_rendering() if rendering is None else rendering),
        _context(_card_footer(incident, now)),
    ]
    text = fallback_text(incident)
    if mention_line:
        text = truncate(f"{mention_line} {text}", FALLBACK_TEXT_LIMIT)
    return MessagePayload(text=text, blocks=blocks, metadata=incident_metadata(incident))


def fallback_text(incident: Incident) -> str:
    """One line for notifications, e.g. ":red_circle: [CRITICAL] checkout 5xx — triggered (shop/checkout)"."""
    where = "/".join(part for part in (incident.application, incident.subsystem) if part)
    line = (
        f"{severity_emoji(incident.severity)} [{severity_word(incident.severity).upper()}] "
        f"{escape(_title(incident))} — {card_status(incident)}"
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
            "status": card_status(incident),
            "severity": incident.severity.value,
        },
    }


def _summary_fields(incident: Incident, slack_user_of: SlackUserOf) -> list[Block]:
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
    return [_mrkdwn(truncate(field, MAX_SECTION_FIELD)) for field in fields]


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


def _card_footer(incident: Incident, now: datetime | None) -> str:
    parts = [f"ID `{fit(incident.id, 200, code=True)}`"]
    if incident.is_muted:
        parts.append(":mute: Muted")
    if now is not None:
        parts.append(f"Updated {date_token(now)}")
    return " · ".join(parts)


def _button(
    text: str, action_id: ActionId, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    button: Block = {"type": "button", "text": _plain(text), "action_id": action_id.value, "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


_CLOSE_CONFIRM: Block = {
    "title": _plain("Close this incident?"),
    "text": _plain("Closing ends the incident in Coralogix for everyone; it cannot be reopened from Slack."),
    "confirm": _plain("Close it"),
    "deny": _plain("Cancel"),
    "style": "danger",
}


def card_actions(incident: Incident) -> list[ActionId]:
    """The actions a card offers for the incident's status (the link button aside).

    Open (triggered or unknown): acknowledge, resolve, assign to me, assign…, unassign (when assigned),
    close, details. Acknowledged: the same without acknowledge. Resolved: close and details only — the
    work is done; `/cx assign` still reassigns. Closed: details only.
    """
    if incident.is_closed:
        return [ActionId.DETAILS]
    if incident.status is Status.RESOLVED:
        return [ActionId.CLOSE, ActionId.DETAILS]
    actions = [] if incident.status is Status.ACKNOWLEDGED else [ActionId.ACK]
    actions += [ActionId.RESOLVE, ActionId.ASSIGN_ME, ActionId.ASSIGN]
    if incident.assignee:
        actions.append(ActionId.UNASSIGN)
    return [*actions, ActionId.CLOSE, ActionId.DETAILS]


def _card_actions(incident: Incident, team_url: str | None, rendering: str) -> Block:
    action_value = ActionValue.of(incident)
    value = truncate(action_value.encode(), MAX_BUTTON_VALUE)
    elements: list[Block] = []
    for action in card_actions(incident):
        if action is ActionId.ACK:
            elements.append(_button("Acknowledge", action, value))
        elif action is ActionId.RESOLVE:
            elements.append(_button("Resolve", action, value, style="primary"))
        elif action is ActionId.ASSIGN_ME:
            elements.append(_button("Assign to me", action, value))
        elif action is ActionId.ASSIGN:
            elements.append(
                {"type": "users_select", "action_id": action.value, "placeholder": _plain("Assign…")}
            )
        elif action is ActionId.UNASSIGN:
            elements.append(_button("Unassign", action, value))
        elif action is ActionId.CLOSE:
            elements.append(_button("Close", action, value, style="danger", confirm=_CLOSE_CONFIRM))
        elif action is ActionId.DETAILS:
            elements.append(_button("Details", action, value))
    if team_url:
        elements.append(
            {
                "type": "button",
                "text": _plain("Open in Coralogix"),
                "action_id": ActionId.LINK.value,
                "url": incident_url(team_url, incident.id),
            }
        )
    return {"type": "actions", "block_id": card_block_id(action_value, rendering), "elements": elements}


# --------------------------------------------------------------------------------------- thread note


def thread_note(lines: Sequence[str]) -> MessagePayload:
    """A reply in an incident's thread, one line per change (lines are mrkdwn, already escaped)."""
    kept = [line for line in lines if line.strip()] or ["(no change)"]
    sections, dropped = _packed_sections(kept, MAX_MESSAGE_BLOCKS - 1)
    if dropped:
        sections.append(_context(f"… and {dropped} more"))
    return MessagePayload(text=truncate("\n".join(kept), FALLBACK_TEXT_LIMIT), blocks=sections)


# ----------------------------------------------------------------------------------- event timeline


COMMENT_IN_LINE = 500


def describe_event(event: IncidentEvent, slack_user_of: SlackUserOf = _nobody) -> str:
    """One event as a sentence for a timeline, e.g. "Assigned to <@U0BOB> by alice@example.com"."""
    by = _by(event, slack_user_of)
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


def _by(event: IncidentEvent, slack_user_of: SlackUserOf) -> str:
    if event.who:
        return f" by {user_ref(event.who, slack_user_of)}"
    if event.system:
        return f" by {fit(event.system, 200)} (system)"
    return ""


def incident_details_modal(
    incident: Incident, events: Sequence[IncidentEvent], *, slack_user_of: SlackUserOf = _nobody
) -> dict[str, Any]:
    """A modal with the incident's summary and its events as a timeline, oldest first (as given)."""
    blocks: list[Block] = [
        _header(f"{severity_emoji(incident.severity)} {_title(incident)}"),
        {"type": "section", "fields": _summary_fields(incident, slack_user_of)},
    ]
    description = strip_controls(incident.description, multiline=True).strip()
    if description:
        blocks.append(_section(fit(description, MAX_SECTION_TEXT, multiline=True)))
    blocks.append(_context(_card_footer(incident, None)))
    blocks.append({"type": "divider"})
    blocks.append(_section(f"*Timeline* ({len(events)} event{'' if len(events) == 1 else 's'})"))
    room = MAX_MODAL_BLOCKS - len(blocks)
    if not events:
        blocks.append(_context("No events recorded."))
    elif len(events) <= room:
        blocks.extend(_event_context(event, slack_user_of) for event in events)
    else:
        shown = events[len(events) - (room - 1) :]
        blocks.append(_context(f"… {len(events) - len(shown)} earlier events"))
        blocks.extend(_event_context(event, slack_user_of) for event in shown)
    return {
        "type": "modal",
        "callback_id": CallbackId.INCIDENT_DETAILS.value,
        "title": _plain("Incident details"),
        "close": _plain("Close"),
        "private_metadata": _details_metadata(incident.id),
        "blocks": blocks,
    }


def details_waiting_modal(incident_id: str, problem: str | None = None) -> dict[str, Any]:
    """The details modal before Coralogix has answered, or (with `problem`) when it could not.

    Slack lets a click open a modal only within 3 seconds, so this one opens at once and the content
    replaces it by views.update; `problem` is bot-written text, already fit to show.
    """
    shown = f"`{fit(incident_id, 200, code=True)}`"
    text = (
        f":warning: {problem}"
        if problem
        else f":hourglass_flowing_sand: Reading incident {shown} from Coralogix…"
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.INCIDENT_DETAILS.value,
        "title": _plain("Incident details"),
        "close": _plain("Close"),
        "private_metadata": _details_metadata(incident_id),
        "blocks": [_section(truncate(text, MAX_SECTION_TEXT))],
    }


def _details_metadata(incident_id: str) -> str:
    metadata = json.dumps({"incident_id": incident_id}, separators=(",", ":"))
    return metadata if len(metadata) <= MAX_PRIVATE_METADATA else ""


def _event_context(event: IncidentEvent, slack_user_of: SlackUserOf) -> Block:
    return _context(truncate(describe_event(event, slack_user_of), MAX_TEXT_OBJECT))


def connect_modal(*, private_metadata: str = "", reason: str = "") -> dict[str, Any]:
    """The modal where a user pastes a personal Coralogix API key (`/cx connect`, or an action that
    needs one: `reason` says why it opened)."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CallbackId.CONNECT.value,
        "title": _plain("Connect Coralogix"),
        "submit": _plain("Connect"),
        "close": _plain("Cancel"),
        "blocks": [
            *([_section(reason)] if reason else []),
            _section(
                "Paste a personal Coralogix API key. Your actions from Slack are then made with it, "
                "so Coralogix records them as yours. The key is stored encrypted; "
                "`/cx disconnect` deletes it."
            ),
            {
                "type": "input",
                "block_id": BlockId.API_KEY.value,
                "label": _plain("Personal API key"),
                "hint": _plain(
                    "It needs incidents:read, and incidents:acknowledge, incidents:assign and "
                    "incidents:close for the actions you want to take."
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": InputId.API_KEY.value,
                    "placeholder": _plain("cxup_…"),
                },
            },
        ],
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


# --------------------------------------------------------------------------------- /cx list, stats


def incident_line(
    incident: Incident, *, slack_user_of: SlackUserOf = _nobody, team_url: str | None = None
) -> str:
    """One incident on one line, for lists and digests."""
    title = fit(_title(incident), MAX_TITLE_IN_LINE)
    name = f"<{incident_url(team_url, incident.id)}|{title}>" if team_url else title
    parts = [
        f"{severity_emoji(incident.severity)} *{name}*",
        f"`{fit(incident.id, 100, code=True)}`",
        ":lock: closed" if incident.is_closed else status_word(incident.status).lower(),
    ]
    where = "/".join(part for part in (incident.application, incident.subsystem) if part)
    if where:
        parts.append(fit(where, 100))
    if incident.assignee:
        parts.append(user_ref(incident.assignee, slack_user_of))
    if incident.is_muted:
        parts.append(":mute:")
    if incident.created_at is not None:
        parts.append(date_token(incident.created_at))
    return truncate(" · ".join(parts), MAX_LIST_LINE)


def incident_list(
    incidents: Sequence[Incident],
    *,
    title: str,
    total: int | None,
    page: int = 1,
    has_more: bool,
    slack_user_of: SlackUserOf = _nobody,
    team_url: str | None = None,
    more_hint: str | None = None,
) -> MessagePayload:
    """A compact list for `/cx list`; `more_hint` (e.g. "/cx list page=3") is shown when `has_more`."""
    blocks: list[Block] = [_header(title)]
    if not incidents:
        blocks.append(_section("No incidents match."))
        return MessagePayload(text=f"{escape(title)}: no incidents match.", blocks=blocks)
    lines = [incident_line(i, slack_user_of=slack_user_of, team_url=team_url) for i in incidents]
    sections, dropped = _packed_sections(lines, MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    shown = len(incidents) - dropped
    footer = [f"Page {page}", f"{shown} shown" + (f" of {total}" if total is not None else "")]
    if dropped:
        footer.append(f"{dropped} more did not fit")
    if has_more:
        footer.append(f"more: `{fit(more_hint, 500, code=True)}`" if more_hint else "more on the next page")
    blocks.append(_context(" · ".join(footer)))
    count = f"{total}" if total is not None else f"{len(incidents)}{'+' if has_more else ''}"
    return MessagePayload(
        text=truncate(f"{escape(title)}: {count} incidents", FALLBACK_TEXT_LIMIT), blocks=blocks
    )


_GROUP_TITLES = {
    GroupField.SEVERITY: "severity",
    GroupField.STATUS: "status",
    GroupField.STATE: "state",
    GroupField.APPLICATION: "application",
    GroupField.SUBSYSTEM: "subsystem",
    GroupField.ASSIGNEE: "assignee",
}


def stats_message(groups: Sequence[AggregationGroup], by: GroupField) -> MessagePayload:
    """Incident counts per group for `/cx stats by=…`, largest group first."""
    title = f"Incidents by {_GROUP_TITLES[by]}"
    blocks: list[Block] = [_header(title)]
    if not groups:
        blocks.append(_section("No incidents."))
        return MessagePayload(text=f"{title}: no incidents.", blocks=blocks)
    ordered = sorted(groups, key=lambda g: (-g.total, _group_name(g)))
    lines = [_group_line(group, by) for group in ordered]
    sections, dropped = _packed_sections(lines, MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    total = sum(group.total for group in groups)
    footer = f"{total} incidents in {len(groups)} group{'' if len(groups) == 1 else 's'}"
    if dropped:
        footer += f" · {dropped} smaller groups not shown"
    blocks.append(_context(footer))
    return MessagePayload(text=f"{title}: {total} incidents", blocks=blocks)


def _group_name(group: AggregationGroup) -> str:
    values = [value for value in group.key.values() if value]
    return " / ".join(values) if values else "(none)"


def _group_line(group: AggregationGroup, by: GroupField) -> str:
    name = _group_name(group)
    label = f"*{fit(name, 200)}*"
    if by is GroupField.SEVERITY and name in _SEVERITY_VALUES:
        label = f"{severity_emoji(Severity(name))} {label}"
    breakdown: list[str] = []
    if by is not GroupField.STATUS:
        breakdown += [f"{s.value} {group.by_status[s]}" for s in Status if group.by_status.get(s)]
    if by is not GroupField.SEVERITY:
        ranked = sorted(group.by_severity.items(), key=lambda item: -item[0].rank)
        breakdown += [f"{s.value} {n}" for s, n in ranked if n]
    line = f"{label} — {group.total}"
    if breakdown:
        line += f" ({' · '.join(breakdown)})"
    return truncate(line, MAX_LIST_LINE)


# ------------------------------------------------------------------------------------ short replies


def error_message(text: str) -> MessagePayload:
    """A failure told to the person who asked (the text is already fit to show)."""
    body = truncate(f":warning: {text}", MAX_SECTION_TEXT)
    return MessagePayload(text=truncate(f"Error: {text}", FALLBACK_TEXT_LIMIT), blocks=[_section(body)])


def usage_message(text: str) -> MessagePayload:
    """Help or usage text (mrkdwn, possibly long); split into sections at line breaks."""
    sections, dropped = _packed_sections(text.splitlines() or ["(no help)"], MAX_MESSAGE_BLOCKS - 1)
    if dropped:
        sections.append(_context(f"… {dropped} more lines"))
    return MessagePayload(text=truncate(text.strip() or "(no help)", FALLBACK_TEXT_LIMIT), blocks=sections)


def notice_message(text: str) -> MessagePayload:
    """A short confirmation, e.g. the outcome of `/cx ack ID…` or `/cx whoami`."""
    return MessagePayload(
        text=truncate(text, FALLBACK_TEXT_LIMIT), blocks=[_section(truncate(text, MAX_SECTION_TEXT))]
    )


# ---------------------------------------------------------------------------------- storm digest


def digest_message(
    incidents: Sequence[Incident],
    *,
    title: str = "Incident storm",
    team_url: str | None = None,
    ids_per_group: int = 5,
) -> MessagePayload:
    """Many incidents in one message, grouped by alert name, application and severity, largest first."""
    groups: dict[tuple[str, str, Severity], list[Incident]] = {}
    for incident in incidents:
        key = (incident.alert_name or incident.id, incident.application or "", incident.severity)
        groups.setdefault(key, []).append(incident)
    ordered = sorted(
        groups.items(), key=lambda item: (-item[0][2].rank, -len(item[1]), item[0][0], item[0][1])
    )
    lines = []
    for (alert, application, severity), members in ordered:
        refs = [
            f"<{incident_url(team_url, i.id)}|{fit(i.id, 60)}>"
            if team_url
            else f"`{fit(i.id, 60, code=True)}`"
            for i in members[:ids_per_group]
        ]
        if len(members) > ids_per_group:
            refs.append(f"+{len(members) - ids_per_group} more")
        where = f" · {fit(application, 100)}" if application else ""
        lines.append(
            f"{severity_emoji(severity)} *{fit(alert, MAX_TITLE_IN_LINE)}*{where} · "
            f"*{len(members)}* incident{'' if len(members) == 1 else 's'} · {', '.join(refs)}"
        )
    blocks: list[Block] = [_header(title)]
    sections, dropped = _packed_sections(lines or ["No incidents."], MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    footer = f"{len(incidents)} incidents in {len(groups)} group{'' if len(groups) == 1 else 's'}"
    if dropped:
        footer += f" · {dropped} groups not shown"
    blocks.append(_context(footer))
    return MessagePayload(text=truncate(f"{escape(title)}: {footer}", FALLBACK_TEXT_LIMIT), blocks=blocks)
