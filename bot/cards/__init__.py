"""The incidents' Slack messages: sending cards, edits, thread replies and digests, the outbox that
retries them, and redrawing an incident's cards. Below both the poller (`bot.notify`) and the actions
(`bot.actions`), which decide what to send; this layer only sends it.

Thread replies from anywhere in the bot go through `CardSender.reply(incident_id, lines, key=…,
channel=…, broadcast=…, blocks=…)`.
"""

from bot.cards.fingerprint import fingerprint
from bot.cards.outbox import OutboxWorker
from bot.cards.refresh import CardRefresher, snapshot_of
from bot.cards.routing import Delivery, Routes, channels_for
from bot.cards.sender import CardSender

__all__ = [
    "CardRefresher",
    "CardSender",
    "Delivery",
    "OutboxWorker",
    "Routes",
    "channels_for",
    "fingerprint",
    "snapshot_of",
]
