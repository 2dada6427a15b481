"""The modals: an incident's details with its timeline (and the one shown while it loads), and connect."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.domain import Incident, IncidentEvent
from bot.slack.blocks.card import card_footer, summary_fields
from bot.slack.blocks.elements import context, header, plain_object, section
from bot.slack.blocks.mrkdwn import SlackUserOf, fit, nobody, severity_emoji, title_text
from bot.slack.blocks.timeline import describe_event
from bot.slack.ids import BlockId, CallbackId, InputId
from bot.slack.limits import (
    MAX_MODAL_BLOCKS,
    MAX_PRIVATE_METADATA,
    MAX_SECTION_TEXT,
    MAX_TEXT_OBJECT,
    truncate,
)
from bot.slack.payload import Block
from bot.slack.text import strip_controls


def incident_details_modal(
    incident: Incident, events: Sequence[IncidentEvent], *, slack_user_of: SlackUserOf = nobody
) -> dict[str, Any]:
    """A modal with the incident's summary and its events as a timeline, oldest first (as given)."""
    blocks: list[Block] = [
        header(f"{severity_emoji(incident.severity)} {title_text(incident)}"),
        {"type": "section", "fields": summary_fields(incident, slack_user_of)},
    ]
    description = strip_controls(incident.description, multiline=True).strip()
    if description:
        blocks.append(section(fit(description, MAX_SECTION_TEXT, multiline=True)))
    blocks.append(context(card_footer(incident, None)))
    blocks.append({"type": "divider"})
    blocks.append(section(f"*Timeline* ({len(events)} event{'' if len(events) == 1 else 's'})"))
    room = MAX_MODAL_BLOCKS - len(blocks)
    if not events:
        blocks.append(context("No events recorded."))
    elif len(events) <= room:
        blocks.extend(_event_context(event, slack_user_of) for event in events)
    else:
        shown = events[len(events) - (room - 1) :]
        blocks.append(context(f"… {len(events) - len(shown)} earlier events"))
        blocks.extend(_event_context(event, slack_user_of) for event in shown)
    return {
        "type": "modal",
        "callback_id": CallbackId.INCIDENT_DETAILS.value,
        "title": plain_object("Incident details"),
        "close": plain_object("Close"),
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
        "title": plain_object("Incident details"),
        "close": plain_object("Close"),
        "private_metadata": _details_metadata(incident_id),
        "blocks": [section(truncate(text, MAX_SECTION_TEXT))],
    }


def _details_metadata(incident_id: str) -> str:
    metadata = json.dumps({"incident_id": incident_id}, separators=(",", ":"))
    return metadata if len(metadata) <= MAX_PRIVATE_METADATA else ""


def _event_context(event: IncidentEvent, slack_user_of: SlackUserOf) -> Block:
    return context(truncate(describe_event(event, slack_user_of), MAX_TEXT_OBJECT))


def connect_modal(*, private_metadata: str = "", reason: str = "") -> dict[str, Any]:
    """The modal where a user pastes a personal Coralogix API key (`/cx connect`, or an action that
    needs one: `reason` says why it opened)."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CallbackId.CONNECT.value,
        "title": plain_object("Connect Coralogix"),
        "submit": plain_object("Connect"),
        "close": plain_object("Cancel"),
        "blocks": [
            *([section(reason)] if reason else []),
            section(
                "Paste a personal Coralogix API key. Your actions from Slack are then made with it, "
                "so Coralogix records them as yours. The key is stored encrypted; "
                "`/cx disconnect` deletes it."
            ),
            {
                "type": "input",
                "block_id": BlockId.API_KEY.value,
                "label": plain_object("Personal API key"),
                "hint": plain_object(
                    "It needs incidents:read, and incidents:acknowledge, incidents:assign and "
                    "incidents:close for the actions you want to take."
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": InputId.API_KEY.value,
                    "placeholder": plain_object("cxup_…"),
                },
            },
        ],
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view
