"""The card's fingerprint: a short hash of the card as drawn, so a card is redrawn exactly when it changes."""

from __future__ import annotations

import hashlib
import json

from bot.domain import Incident
from bot.slack.blocks import incident_card


def fingerprint(incident: Incident) -> str:
    """A short stable hash of the card as rendered: equal fingerprints mean the card needs no update.

    It hashes the card itself (without mentions, link, "Updated" stamp or rendering token), so it moves
    exactly when the card would, including after a change in how cards are drawn.
    """
    card = incident_card(incident, rendering="")
    canonical = json.dumps(
        {"text": card.text, "blocks": card.blocks, "metadata": card.metadata},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
