"""The two doors for text the bot did not write (Coralogix names, labels, descriptions, user ids) into Slack.

`mrkdwn_text` is for mrkdwn text objects and a message's fallback `text`; `plain_text` is for
`plain_text` objects (headers, modal titles, button labels). Both drop the characters that could make a
string read differently from what it is: bidirectional controls (U+202E turns `exe.png` into `gnp.exe`
on screen) and other C0/C1 control characters. `mrkdwn_text` also defuses everything mrkdwn would read:
the entities `&`, `<`, `>` (which is also what stops `<!channel>` and `<@U…>` injection) and the
formatting characters `*`, `_`, `~` and `` ` ``.

How formatting is defused: each formatting character becomes a visually identical code point that
mrkdwn does not know (see `LOOKALIKES`). The alternative, a zero-width character beside the marker, was
rejected: Slack documents no rule for it, and a zero-width space is the known trick to *make* Slack format
in the middle of a word, so it cannot be trusted to do the opposite. A lookalike is outside the parser's
alphabet in Slack, in notifications and in the demo page alike, it keeps the text's length (so the limits
in `limits.py` hold), and a reader sees the same characters. What a reader copies is the lookalike, so
text meant to be copied (an incident id, a command to run next) goes in a code span with `code=True`,
where mrkdwn formats nothing and only the backtick that would end the span is replaced.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides: LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # isolates: LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # marks: LRM RLM ALM
)
"""Invisible characters that reorder the text around them."""

LOOKALIKES = {
    "*": "\u2217",  # ASTERISK OPERATOR
    "_": "\u02cd",  # MODIFIER LETTER LOW MACRON
    "~": "\u223c",  # TILDE OPERATOR
    "`": "\u02cb",  # MODIFIER LETTER GRAVE ACCENT
}
"""What each mrkdwn formatting character becomes in text from outside."""

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MRKDWN = str.maketrans({**_ENTITIES, **LOOKALIKES})
_CODE = str.maketrans({**_ENTITIES, "`": LOOKALIKES["`"]})
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")


_BIDI = "".join(sorted(BIDI_CONTROLS))
_DROPPED = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
"""Unicode's Cc category (exactly C0, DEL and C1) and the bidirectional controls."""
_DROPPED_KEEPING_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
"""The same, but for line feeds and tabs."""


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without bidirectional controls and control characters.

    With `multiline`, line breaks and tabs stay (a description keeps its paragraphs); without it each
    run of them becomes one space, so a name stays on its line.
    """
    if multiline:
        text, dropped = _NEWLINES.sub("\n", text), _DROPPED_KEEPING_LINES
    else:
        text, dropped = _LINE_BREAKS.sub(" ", text), _DROPPED
    if text.isprintable():  # the common case, and quick: nothing to drop
        return text
    return dropped.sub("", text)


def mrkdwn_text(raw: str, *, code: bool = False, multiline: bool = False) -> str:
    """The one door for outside text into mrkdwn: shown literally, never formatted, never a mention.

    `code=True` is for text placed between backticks by the caller (ids, commands to copy): only the
    entities and the backtick are replaced there, so the text copies as it is.
    """
    return strip_controls(raw, multiline=multiline).translate(_CODE if code else _MRKDWN)


def plain_text(raw: str) -> str:
    """The one door for outside text into a `plain_text` object: one line, no controls."""
    return strip_controls(raw)
