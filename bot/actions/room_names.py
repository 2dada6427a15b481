"""War-room channel names: the incident's date and name, as Slack accepts them, and what to try next.

Slack's rules: at most 80 characters of lower-case letters, digits, hyphens and underscores, not only
punctuation, unique in the workspace (archived channels keep their names). The bot makes the name valid
itself, and when Slack answers `name_taken` it tries the next candidate: `-2` … `-5`, then the
incident's id.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from bot.domain import Incident

MAX_NAME = 80
PREFIX = "inc"
NUMBERED = range(2, 6)
"""Suffixes tried after the plain name is taken, before the incident's id."""
_SUFFIX_ROOM = 10  # "-" and up to 9 characters of suffix
_NOT_ALLOWED = re.compile(r"[^a-z0-9_]+")
_VALID = re.compile(r"[a-z0-9_-]{1,80}")
_MEANINGFUL = re.compile(r"[a-z0-9]")


def slug(text: str) -> str:
    """Lower-case ASCII letters, digits and underscores, every other run of characters one hyphen."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub("-", ascii_text.lower()).strip("-_")


def room_name(incident: Incident, today: date) -> str:
    """`inc-2026-12-03-checkout-5xx`: the day the incident was created (else today), then its name."""
    day = incident.created_at.date() if incident.created_at is not None else today
    head = f"{PREFIX}-{day.isoformat()}"
    title = slug(incident.title) or _id_part(incident.id)
    room = MAX_NAME - _SUFFIX_ROOM - len(head) - 1
    return f"{head}-{title[:room].rstrip('-_')}" if title else head


def candidates(incident: Incident, today: date) -> Iterator[str]:
    """The names to try in order, each valid and at most 80 characters."""
    base = room_name(incident, today)
    yield base
    for number in NUMBERED:
        yield f"{base}-{number}"
    yield f"{base}-{_id_part(incident.id)}"


def is_valid(name: str) -> bool:
    """Whether Slack would accept `name` as a channel name (uniqueness aside)."""
    return bool(_VALID.fullmatch(name) and _MEANINGFUL.search(name))


def _id_part(incident_id: str) -> str:
    return slug(incident_id)[:8].strip("-_") or "x"
