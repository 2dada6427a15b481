"""The leaf every builder writes text with: outside text made safe and short, users, dates and words.

Text that comes from Coralogix enters through `bot.slack.text` (the one door); `escape` and `fit` here
are that door with Slack's length limits applied, so a builder never cuts an entity in half.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from bot.domain import Incident, Severity, Status
from bot.slack.text import mrkdwn_text, plain_text

SlackUserOf = Callable[[str], str | None]
"""Maps a Coralogix user id (usually an e-mail) to a Slack user id, or None when unknown."""

FALLBACK_TEXT_LIMIT = 3000
"""Notification text is kept short: Slack shows only its start, and it is repeated on every update."""

MAX_LIST_LINE = 600
MAX_TITLE_IN_LINE = 150

_SEVERITY_EMOJI = {
    Severity.CRITICAL: ":red_circle:",
    Severity.ERROR: ":large_orange_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
    Severity.LOW: ":white_circle:",
    Severity.UNSPECIFIED: ":black_circle:",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def nobody(_coralogix_user: str) -> str | None:
    """The `SlackUserOf` that knows no one: every user is shown by their Coralogix id."""
    return None


def escape(text: str) -> str:
    """Outside text for mrkdwn: `bot.slack.text.mrkdwn_text` (entities, formatting, controls)."""
    return mrkdwn_text(text)


def fit(raw: str, limit: int, *, code: bool = False, multiline: bool = False) -> str:
    """`raw` through `mrkdwn_text` and shortened so the result fits in `limit` characters."""
    escaped = mrkdwn_text(raw, code=code, multiline=multiline)
    if len(escaped) <= limit:
        return escaped
    body = escaped[: limit - 1]
    amp = body.rfind("&")
    if amp != -1 and ";" not in body[amp:]:
        body = body[:amp]  # never leave half an entity such as "&l"
    return body.rstrip() + "…"


def date_token(moment: datetime) -> str:
    """A Slack date token, which Slack shows in each reader's own time zone ("Today 14:06").

    The fallback, for clients that cannot render the token, is plain words in UTC ("Dec 2, 2026 14:06
    UTC"), not ISO 8601, which reads poorly and breaks mid-word in a narrow column.
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    epoch = int(utc.timestamp())
    at = datetime.fromtimestamp(epoch, UTC)
    fallback = f"{_MONTHS[at.month - 1]} {at.day}, {at.year} {at:%H:%M} UTC"
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def user_ref(coralogix_user: str, slack_user_of: SlackUserOf = nobody) -> str:
    """`<@U…>` for a user mapped to Slack, else the Coralogix id as plain (escaped) text."""
    slack_id = slack_user_of(coralogix_user)
    return f"<@{slack_id}>" if slack_id else escape(coralogix_user)


def severity_emoji(severity: Severity) -> str:
    return _SEVERITY_EMOJI[severity]


def severity_word(severity: Severity) -> str:
    return "Unknown" if severity is Severity.UNSPECIFIED else severity.value.capitalize()


def status_word(status: Status) -> str:
    return "Unknown" if status is Status.UNSPECIFIED else status.value.capitalize()


def incident_url(team_url: str, incident_id: str) -> str:
    return f"{team_url.rstrip('/')}/#/incidents/{quote(incident_id, safe='')}"


def title_text(incident: Incident) -> str:
    """The incident's name as plain text (for a header, or to `fit` into mrkdwn), else its id."""
    return plain_text(incident.title).strip() or plain_text(incident.id)
