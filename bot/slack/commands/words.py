"""The command's words: Slack's escaping undone, mentions and links kept whole, incident ids read."""

from __future__ import annotations

import re
from typing import Final

from bot.slack.text import mrkdwn_text

MAX_REF: Final = 200

# `<@U123|name>` or `<@U123>`: how Slack sends a user mention in slash-command text.
MENTION: Final = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
EMAIL: Final = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_TOKEN = re.compile(r"<[^<>]*>|\S+")
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_INCIDENT_LINK = "/incidents/"


class Malformed(Exception):  # noqa: N818 - internal control flow, never leaves this package
    """Raised inside the parser only; `parse_command` turns it into `Usage`."""


def tokenize(text: str) -> list[str]:
    """Words, keeping a Slack mention or link (`<@U1|bob>`, `<https://…>`) whole.

    Slack sends what the person typed with `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so a real `<`
    only opens one of Slack's own tokens: those are found in the text as sent, and every other word is
    un-escaped here, once, into what was typed.
    """
    return [word if word.startswith("<") else unescape(word) for word in _TOKEN.findall(text)]


def unescape(text: str) -> str:
    """Slack's three entities back into the characters typed (`&amp;lt;` is the text `&lt;`)."""
    return _ESCAPED.sub(lambda entity: _UNESCAPED[entity.group(1)], text)


def shown(word: str) -> str:
    """A word of the user's, safe to quote back inside backticks (mrkdwn)."""
    cleaned = word.replace("`", "'")
    return mrkdwn_text(cleaned if len(cleaned) <= 40 else cleaned[:39] + "…", code=True)


def incident_ref(word: str) -> str | None:
    """The incident id (or prefix) a word names: the word itself, or the id at the end of a link."""
    candidate = word.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].split("|", 1)[0]
    if _INCIDENT_LINK in candidate:
        candidate = candidate.rsplit(_INCIDENT_LINK, 1)[1].split("?", 1)[0].strip("/")
    candidate = candidate.strip("`'\",;")
    if len(candidate) > MAX_REF or not _REF.match(candidate):
        return None
    return candidate
