"""Block Kit's small parts, shared by every surface: text objects, header, section, context."""

from __future__ import annotations

from collections.abc import Iterable

from bot.slack.limits import MAX_HEADER_TEXT, MAX_SECTION_TEXT, truncate
from bot.slack.payload import Block
from bot.slack.text import plain_text, strip_controls


def plain_object(text: str) -> Block:
    return {"type": "plain_text", "text": plain_text(text), "emoji": True}


def mrkdwn_object(text: str) -> Block:
    # the callers put outside text through `fit`/`escape`; this catches a control character they missed
    return {"type": "mrkdwn", "text": strip_controls(text, multiline=True)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_object(truncate(text.strip() or "Incident", MAX_HEADER_TEXT))}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn_object(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn_object(text)]}


def packed_sections(lines: Iterable[str], max_blocks: int) -> tuple[list[Block], int]:
    """Lines joined into as few sections as fit, at most `max_blocks`; also how many lines did not fit."""
    fitted = [truncate(line, MAX_SECTION_TEXT) for line in lines]
    sections: list[Block] = []
    current: list[str] = []
    size = 0
    for index, line in enumerate(fitted):
        if current and size + 1 + len(line) > MAX_SECTION_TEXT:
            sections.append(section("\n".join(current)))
            current, size = [], 0
            if len(sections) == max_blocks:
                return sections, len(fitted) - index
        size += len(line) + (1 if current else 0)
        current.append(line)
    if current:
        sections.append(section("\n".join(current)))
    return sections, 0
