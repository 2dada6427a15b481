"""The app's Home tab: who you are in Coralogix, then your incidents as compact cards with their buttons.

The view's private_metadata lists (digests of) the incidents it shows: a click on the Home tab is
accepted only for an incident the tab showed that person.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from bot.domain import Incident
from bot.slack.blocks.compact import compact_card
from bot.slack.blocks.elements import context, header, section
from bot.slack.blocks.mrkdwn import SlackUserOf, fit, nobody
from bot.slack.limits import MAX_MODAL_BLOCKS, MAX_PRIVATE_METADATA, MAX_SECTION_TEXT, truncate
from bot.slack.payload import Block

SHOWN_KEY = "shown"
MAX_HOME_INCIDENTS = 15
"""Per list; two lists of compact cards (2 blocks each) and the rest stay under the tab's 100 blocks."""
MAX_NOTES = 3
"""Lines on what kept the tab from being complete (a failed look-up each), once each."""
_DIGEST = 16


def shown_digest(incident_id: str) -> str:
    """How the Home tab's metadata names an incident it shows (short, and the same on every replica)."""
    return hashlib.sha256(incident_id.encode()).hexdigest()[:_DIGEST]


def shown_on(view: object) -> frozenset[str]:
    """The digests of the incidents a Home tab (as Slack sends it back with a click) showed."""
    metadata = view.get("private_metadata") if isinstance(view, dict) else None
    try:
        shown = json.loads(metadata).get(SHOWN_KEY) if isinstance(metadata, str) and metadata else None
    except (ValueError, AttributeError):
        return frozenset()
    return frozenset(d for d in shown if isinstance(d, str)) if isinstance(shown, list) else frozenset()


def home_view(
    *,
    who: str,
    assigned: Sequence[Incident],
    routed: Sequence[Incident],
    routes: Sequence[str],
    notes: Sequence[str] = (),
    notice: str | None = None,
    team_url: str | None = None,
    slack_user_of: SlackUserOf = nobody,
    command: str = "/cx",
) -> dict[str, Any]:
    """The Home tab of a mapped person: `assigned` to them, open incidents of their `routes`."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(truncate(notice, MAX_SECTION_TEXT)))
    blocks += [header("Coralogix incidents"), section(truncate(who, MAX_SECTION_TEXT))]
    blocks += [context(truncate(note, MAX_SECTION_TEXT)) for note in list(dict.fromkeys(notes))[:MAX_NOTES]]
    shown = [*assigned[:MAX_HOME_INCIDENTS], *routed[:MAX_HOME_INCIDENTS]]

    def listed(title: str, incidents: Sequence[Incident], empty: str) -> list[Block]:
        return _incident_list(
            title, incidents, empty, team_url=team_url, slack_user_of=slack_user_of, command=command
        )

    blocks += listed("Assigned to you", assigned, "Nothing open is assigned to you.")
    where = ", ".join(f"*{fit(name, 80)}*" for name in routes)
    title = f"Open in your routes ({where})" if where else "Open in your routes"
    empty = (
        "Nothing else is open there."
        if routes
        else "You respond for no route, and are in none of their channels."
    )
    blocks += listed(title, routed, empty)
    metadata = json.dumps({SHOWN_KEY: [shown_digest(i.id) for i in shown]}, separators=(",", ":"))
    assert len(metadata) <= MAX_PRIVATE_METADATA and len(blocks) <= MAX_MODAL_BLOCKS
    return {"type": "home", "blocks": blocks, "private_metadata": metadata}


def unmapped_home_view(reason: str) -> dict[str, Any]:
    """The Home tab of someone the bot cannot map to a Coralogix user: why, and nothing else."""
    blocks = [
        header("Coralogix incidents"),
        section(truncate(f":warning: Nothing is shown here: {reason}", MAX_SECTION_TEXT)),
    ]
    return {"type": "home", "blocks": blocks, "private_metadata": json.dumps({SHOWN_KEY: []})}


def _incident_list(
    title: str,
    incidents: Sequence[Incident],
    empty: str,
    *,
    team_url: str | None,
    slack_user_of: SlackUserOf,
    command: str,
) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, section(truncate(f"*{title}*", MAX_SECTION_TEXT))]
    if not incidents:
        return [*blocks, context(empty)]
    for incident in incidents[:MAX_HOME_INCIDENTS]:
        blocks += compact_card(incident, team_url=team_url, slack_user_of=slack_user_of)
    if len(incidents) > MAX_HOME_INCIDENTS:
        hidden = len(incidents) - MAX_HOME_INCIDENTS
        blocks.append(context(f"…and {hidden} more; `{command} list` shows them all."))
    return blocks
