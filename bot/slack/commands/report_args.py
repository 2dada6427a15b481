"""The words of `report [route] [since=24h|7d] [public]` and `stats mtta|mttr [by=…] [since=…]`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from bot.slack.commands.records import ReportCommand, ResponseStatsCommand
from bot.slack.commands.words import Malformed, shown

REPORT_SINCE: Final = timedelta(hours=24)
STATS_SINCE: Final = timedelta(days=7)
MAX_SINCE: Final = timedelta(days=30)
RESPONSE_GROUPS: Final = ("severity", "app", "assignee", "route")
_GROUP_ALIASES: Final = {"application": "app"}
_SPAN = re.compile(r"^([0-9]{1,4})([hdw])$")
_UNIT: Final = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def since_value(value: str) -> timedelta:
    """`24h`, `7d`, `2w`: from one hour to 30 days; anything else is Malformed, said plainly."""
    match = _SPAN.match(value.strip().lower())
    span = int(match.group(1)) * _UNIT[match.group(2)] if match else None
    if span is None or not timedelta(hours=1) <= span <= MAX_SINCE:
        raise Malformed(
            f"`since=` takes a span from 1 hour to 30 days, like `24h` or `7d`; got `{shown(value)}`."
        )
    return span


def report_command(args: list[str]) -> ReportCommand:
    route: str | None = None
    since = REPORT_SINCE
    public = False
    for word in args:
        key, sep, value = word.partition("=")
        if sep:
            if key.lower() != "since":
                raise Malformed(f"`report` has no option `{shown(key)}` (only `since=`).")
            since = since_value(value)
        elif word.lower() == "public":
            public = True
        elif route is None:
            route = word
        else:
            raise Malformed(f"`report` takes one route name; got `{shown(route)}` and `{shown(word)}`.")
    return ReportCommand(route=route, since=since, public=public)


def response_stats_command(args: list[str]) -> ResponseStatsCommand:
    measure = args[0].lower()
    by = "severity"
    since = STATS_SINCE
    for word in args[1:]:
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise Malformed(f"`{shown(word)}` is not an option of `stats {measure}` (by= or since=).")
        if key.lower() == "by":
            by = _GROUP_ALIASES.get(value.lower(), value.lower())
            if by not in RESPONSE_GROUPS:
                raise Malformed(
                    f"`stats {measure}` groups by {', '.join(RESPONSE_GROUPS)}; not `{shown(value)}`."
                )
        elif key.lower() == "since":
            since = since_value(value)
        else:
            raise Malformed(f"`stats {measure}` has no option `{shown(key)}` (by= or since=).")
    return ResponseStatsCommand(measure=measure, by=by, since=since)
