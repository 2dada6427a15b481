"""`report [route] [since=…] [public]` and `stats mtta|mttr [by=…] [since=…]`: parsed, or a clear usage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.commands import ReportCommand, ResponseStatsCommand, Usage, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("report", ReportCommand(None, timedelta(hours=24))),
        ("report payments", ReportCommand("payments", timedelta(hours=24))),
        ("report since=7d payments public", ReportCommand("payments", timedelta(days=7), public=True)),
        ("report since=2w", ReportCommand(None, timedelta(weeks=2))),
        ("stats mtta", ResponseStatsCommand("mtta", "severity", timedelta(days=7))),
        ("stats MTTR by=application since=24h", ResponseStatsCommand("mttr", "app", timedelta(hours=24))),
        ("stats mttr by=route", ResponseStatsCommand("mttr", "route", timedelta(days=7))),
    ],
)
def test_parsed(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("report since=3x", "`since=` takes a span from 1 hour to 30 days, like `24h` or `7d`; got `3x`."),
        ("report since=31d", "`since=` takes a span from 1 hour to 30 days, like `24h` or `7d`; got `31d`."),
        ("report since=0h", "`since=` takes a span from 1 hour to 30 days, like `24h` or `7d`; got `0h`."),
        ("report until=1d", "`report` has no option `until` (only `since=`)."),
        ("report a b", "`report` takes one route name; got `a` and `b`."),
        ("stats mtta by=status", "`stats mtta` groups by severity, app, assignee, route; not `status`."),
        ("stats mttr oops", "`oops` is not an option of `stats mttr` (by= or since=)."),
    ],
)
def test_bad_input_gets_the_usage_with_the_problem_first(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Usage)
    assert parsed.problem == problem
    assert parsed.text.startswith(problem + "\n`/cx ")


def test_help_lists_report_and_response_stats() -> None:
    help_text = parse_command("help frobnicate")
    assert isinstance(help_text, Usage)
    assert "`/cx report [route] [since=24h|7d] [public]`" in help_text.text
    assert "`/cx stats mtta|mttr [by=severity|app|assignee|route] [since=7d]`" in help_text.text
