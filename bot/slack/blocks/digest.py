"""The storm digest: many new incidents for one channel in one message, grouped, largest group first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Incident, Severity
from bot.slack.blocks.elements import context, header, packed_sections
from bot.slack.blocks.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    MAX_TITLE_IN_LINE,
    escape,
    fit,
    incident_url,
    severity_emoji,
)
from bot.slack.limits import MAX_MESSAGE_BLOCKS, truncate
from bot.slack.payload import Block, MessagePayload


def digest_message(
    incidents: Sequence[Incident],
    *,
    title: str = "Incident storm",
    team_url: str | None = None,
    ids_per_group: int = 5,
) -> MessagePayload:
    """Many incidents in one message, grouped by alert name, application and severity, largest first."""
    groups: dict[tuple[str, str, Severity], list[Incident]] = {}
    for incident in incidents:
        key = (incident.alert_name or incident.id, incident.application or "", incident.severity)
        groups.setdefault(key, []).append(incident)
    ordered = sorted(
        groups.items(), key=lambda item: (-item[0][2].rank, -len(item[1]), item[0][0], item[0][1])
    )
    lines = []
    for (alert, application, severity), members in ordered:
        refs = [
            f"<{incident_url(team_url, i.id)}|{fit(i.id, 60)}>"
            if team_url
            else f"`{fit(i.id, 60, code=True)}`"
            for i in members[:ids_per_group]
        ]
        if len(members) > ids_per_group:
            refs.append(f"+{len(members) - ids_per_group} more")
        where = f" · {fit(application, 100)}" if application else ""
        lines.append(
            f"{severity_emoji(severity)} *{fit(alert, MAX_TITLE_IN_LINE)}*{where} · "
            f"*{len(members)}* incident{'' if len(members) == 1 else 's'} · {', '.join(refs)}"
        )
    blocks: list[Block] = [header(title)]
    sections, dropped = packed_sections(lines or ["No incidents."], MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    footer = f"{len(incidents)} incidents in {len(groups)} group{'' if len(groups) == 1 else 's'}"
    if dropped:
        footer += f" · {dropped} groups not shown"
    blocks.append(context(footer))
    return MessagePayload(text=truncate(f"{escape(title)}: {footer}", FALLBACK_TEXT_LIMIT), blocks=blocks)
