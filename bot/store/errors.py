"""Errors raised by the store, translated once from SQLAlchemy's."""

from __future__ import annotations

from bot.errors import BotError


class StoreError(BotError):
    """Any failure of the bot's database."""


class StoreUnavailableError(StoreError):
    """The database could not be reached or did not answer (connection refused, locked, timed out)."""
