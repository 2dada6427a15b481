"""Answers that list incidents or count them: `/cx list` (one line per incident) and `/cx stats`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import AggregationGroup, GroupField, Incident, Severity, Status
from bot.slack.blocks.elements import context, header, packed_sections, section
from bot.slack.blocks.mrkdwn import (
    FALLBACK_TEXT_LIMIT,
    MAX_LIST_LINE,
    MAX_TITLE_IN_LINE,
    SlackUserOf,
    date_token,
    escape,
    fit,
    incident_url,
    nobody,
    severity_emoji,
    status_word,
    title_text,
    user_ref,
)
from bot.slack.limits import MAX_MESSAGE_BLOCKS, truncate
from bot.slack.payload import Block, MessagePayload

_SEVERITY_VALUES = frozenset(s.value for s in Severity)

_GROUP_TITLES = {
    GroupField.SEVERITY: "severity",
    GroupField.STATUS: "status",
    GroupField.STATE: "state",
    GroupField.APPLICATION: "application",
    GroupField.SUBSYSTEM: "subsystem",
    GroupField.ASSIGNEE: "assignee",
}


def incident_line(
    incident: Incident, *, slack_user_of: SlackUserOf = nobody, team_url: str | None = None
) -> str:
    """One incident on one line, for lists and digests."""
    title = fit(title_text(incident), MAX_TITLE_IN_LINE)
    name = f"<{incident_url(team_url, incident.id)}|{title}>" if team_url else title
    parts = [
        f"{severity_emoji(incident.severity)} *{name}*",
        f"`{fit(incident.id, 100, code=True)}`",
        ":lock: closed" if incident.is_closed else status_word(incident.status).lower(),
    ]
    where = "/".join(part for part in (incident.application, incident.subsystem) if part)
    if where:
        parts.append(fit(where, 100))
    if incident.assignee:
        parts.append(user_ref(incident.assignee, slack_user_of))
    if incident.is_muted:
        parts.append(":mute:")
    if incident.created_at is not None:
        parts.append(date_token(incident.created_at))
    return truncate(" · ".join(parts), MAX_LIST_LINE)


def incident_list(
    incidents: Sequence[Incident],
    *,
    title: str,
    total: int | None,
    page: int = 1,
    has_more: bool,
    slack_user_of: SlackUserOf = nobody,
    team_url: str | None = None,
    more_hint: str | None = None,
) -> MessagePayload:
    """A compact list for `/cx list`; `more_hint` (e.g. "/cx list page=3") is shown when `has_more`."""
    blocks: list[Block] = [header(title)]
    if not incidents:
        blocks.append(section("No incidents match."))
        return MessagePayload(text=f"{escape(title)}: no incidents match.", blocks=blocks)
    lines = [incident_line(i, slack_user_of=slack_user_of, team_url=team_url) for i in incidents]
    sections, dropped = packed_sections(lines, MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    shown = len(incidents) - dropped
    footer = [f"Page {page}", f"{shown} shown" + (f" of {total}" if total is not None else "")]
    if dropped:
        footer.append(f"{dropped} more did not fit")
    if has_more:
        footer.append(f"more: `{fit(more_hint, 500, code=True)}`" if more_hint else "more on the next page")
    blocks.append(context(" · ".join(footer)))
    count = f"{total}" if total is not None else f"{len(incidents)}{'+' if has_more else ''}"
    return MessagePayload(
        text=truncate(f"{escape(title)}: {count} incidents", FALLBACK_TEXT_LIMIT), blocks=blocks
    )


def stats_message(groups: Sequence[AggregationGroup], by: GroupField) -> MessagePayload:
    """Incident counts per group for `/cx stats by=…`, largest group first."""
    title = f"Incidents by {_GROUP_TITLES[by]}"
    blocks: list[Block] = [header(title)]
    if not groups:
        blocks.append(section("No incidents."))
        return MessagePayload(text=f"{title}: no incidents.", blocks=blocks)
    ordered = sorted(groups, key=lambda g: (-g.total, _group_name(g)))
    lines = [_group_line(group, by) for group in ordered]
    sections, dropped = packed_sections(lines, MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    total = sum(group.total for group in groups)
    footer = f"{total} incidents in {len(groups)} group{'' if len(groups) == 1 else 's'}"
    if dropped:
        footer += f" · {dropped} smaller groups not shown"
    blocks.append(context(footer))
    return MessagePayload(text=f"{title}: {total} incidents", blocks=blocks)


def _group_name(group: AggregationGroup) -> str:
    values = [value for value in group.key.values() if value]
    return " / ".join(values) if values else "(none)"


def _group_line(group: AggregationGroup, by: GroupField) -> str:
    name = _group_name(group)
    label = f"*{fit(name, 200)}*"
    if by is GroupField.SEVERITY and name in _SEVERITY_VALUES:
        label = f"{severity_emoji(Severity(name))} {label}"
    breakdown: list[str] = []
    if by is not GroupField.STATUS:
        breakdown += [f"{s.value} {group.by_status[s]}" for s in Status if group.by_status.get(s)]
    if by is not GroupField.SEVERITY:
        ranked = sorted(group.by_severity.items(), key=lambda item: -item[0].rank)
        breakdown += [f"{s.value} {n}" for s, n in ranked if n]
    line = f"{label} — {group.total}"
    if breakdown:
        line += f" ({' · '.join(breakdown)})"
    return truncate(line, MAX_LIST_LINE)
