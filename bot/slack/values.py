"""What a card's buttons and its actions block carry back to the bot when clicked.

Beside `bot.slack.ids` (which names the elements): `ActionValue` is the typed value of every card
button, and `card_block_id` writes the actions block's `block_id`, which `ActionValue.from_click` reads
back for a select menu (it has no value of its own).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain import Incident
from bot.slack.limits import MAX_BLOCK_ID

CARD_BLOCK_PREFIX = "cx1"
"""Starts the `block_id` of a card's actions block: `cx1:<status>:<rendering>:<incident id or #digest>`."""


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
        return cls(incident.id, incident.display_status)

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
