"""The compact card: one line about the incident and the card's own buttons (Home tab, link unfurls)."""

from __future__ import annotations

from bot.domain import Incident
from bot.slack.blocks.card import card_actions_block
from bot.slack.blocks.elements import section
from bot.slack.blocks.lists import incident_line
from bot.slack.blocks.mrkdwn import SlackUserOf, nobody
from bot.slack.payload import Block


def compact_card(
    incident: Incident,
    *,
    team_url: str | None = None,
    slack_user_of: SlackUserOf = nobody,
    rendering: str | None = None,
) -> list[Block]:
    """Two blocks: the incident's line (as in `/cx list`) and the card's actions block."""
    return [
        section(incident_line(incident, slack_user_of=slack_user_of, team_url=team_url)),
        card_actions_block(incident, team_url=team_url, rendering=rendering),
    ]


def unfurl_blocks(
    incident: Incident, *, team_url: str | None = None, slack_user_of: SlackUserOf = nobody
) -> dict[str, list[Block]]:
    """What `chat.unfurl` attaches to a pasted link of the incident: the compact card."""
    return {"blocks": compact_card(incident, team_url=team_url, slack_user_of=slack_user_of)}
