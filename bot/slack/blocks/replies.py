"""Short answers to the person who asked: a failure, help or usage text, a confirmation."""

from __future__ import annotations

from bot.slack.blocks.elements import context, packed_sections, section
from bot.slack.blocks.mrkdwn import FALLBACK_TEXT_LIMIT
from bot.slack.limits import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, truncate
from bot.slack.payload import MessagePayload


def error_message(text: str) -> MessagePayload:
    """A failure told to the person who asked (the text is already fit to show)."""
    body = truncate(f":warning: {text}", MAX_SECTION_TEXT)
    return MessagePayload(text=truncate(f"Error: {text}", FALLBACK_TEXT_LIMIT), blocks=[section(body)])


def usage_message(text: str) -> MessagePayload:
    """Help or usage text (mrkdwn, possibly long); split into sections at line breaks."""
    sections, dropped = packed_sections(text.splitlines() or ["(no help)"], MAX_MESSAGE_BLOCKS - 1)
    if dropped:
        sections.append(context(f"… {dropped} more lines"))
    return MessagePayload(text=truncate(text.strip() or "(no help)", FALLBACK_TEXT_LIMIT), blocks=sections)


def notice_message(text: str) -> MessagePayload:
    """A short confirmation, e.g. the outcome of `/cx ack ID…` or `/cx whoami`."""
    return MessagePayload(
        text=truncate(text, FALLBACK_TEXT_LIMIT), blocks=[section(truncate(text, MAX_SECTION_TEXT))]
    )
