"""The slash-command parser: every sub-command, its malformed forms, and arbitrary text (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.actions import CoralogixUserTarget, Me, SlackUserTarget
from bot.config import Action
from bot.domain import GroupField, Severity, Status
from bot.slack.commands import (
    MAX_LIMIT,
    OPEN_STATUSES,
    SUBCOMMANDS,
    ActCommand,
    AssignCommand,
    ConnectCommand,
    DisconnectCommand,
    HelpCommand,
    ListCommand,
    ReportCommand,
    ResponseStatsCommand,
    ShowCommand,
    StatsCommand,
    Usage,
    WhoAmICommand,
    parse_command,
    usage_text,
)

UNREADABLE = "I could not read that command."
ID = "cdfaf78b-27ee-401f-8d13-ebd2daa08232"
OTHER = "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc"
COMMAND_TYPES = (
    HelpCommand,
    ListCommand,
    ShowCommand,
    ActCommand,
    AssignCommand,
    StatsCommand,
    ReportCommand,
    ResponseStatsCommand,
    WhoAmICommand,
    ConnectCommand,
    DisconnectCommand,
)


def usage(text: str) -> Usage:
    parsed = parse_command(text)
    assert isinstance(parsed, Usage), parsed
    return parsed


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "--help"])
def test_help(text: str) -> None:
    assert parse_command(text) == HelpCommand()


def test_help_on_one_subcommand_and_its_usage_text() -> None:
    assert parse_command("help list") == HelpCommand("list")
    assert parse_command("help acknowledge") == HelpCommand("ack")
    text = usage_text("/incident", "list")
    assert text.startswith("`/incident list")
    assert "status=" in text and "page=" in text
    assert "/cx" not in text
    everything = usage_text("/cx")
    assert all(f"/cx {name}" in everything for name in SUBCOMMANDS)


@pytest.mark.parametrize("action", ["ack", "resolve", "close", "unassign"])
def test_actions_take_ids_and_prefixes(action: str) -> None:
    assert parse_command(f"{action} {ID} {OTHER[:8]}") == ActCommand(Action(action), (ID, OTHER[:8]))
    assert parse_command(f"{action} {ID} {ID}") == ActCommand(Action(action), (ID,))


def test_acknowledge_is_ack_and_links_name_incidents() -> None:
    link = f"<https://acme.app.coralogix.com/#/incidents/{ID}|checkout 5xx>"
    assert parse_command(f"acknowledge {link}") == ActCommand(Action.ACK, (ID,))


@pytest.mark.parametrize(
    ("text", "subcommand", "needle"),
    [
        ("ack", "ack", "at least one incident ID"),
        ("resolve 1234567", "resolve", "too short"),
        ("close <@U0BOB>", "close", "is not an incident ID"),
        ("show", "show", "exactly one"),
        (f"show {ID} {OTHER}", "show", "exactly one"),
        ("assign me", "assign", "at least one incident ID"),
        (f"assign {ID} bob", "assign", "must say who"),
        (f"assign {ID} @bob", "assign", "not a mention"),
        ("list status=closed", "list", "not a status"),
        ("list severity=urgent", "list", "not a severity"),
        ("list limit=0", "list", "limit="),
        (f"list limit={MAX_LIMIT + 1}", "list", "limit="),
        ("list page=two", "list", "page="),
        ("list colour=red", "list", "no filter"),
        ("list app=", "list", "needs a value"),
        ("list assignee=bob", "list", "assignee="),
        ("list mine assignee=bob@example.com", "list", "one assignee"),
        ("list critical", "list", "key=value"),
        ("stats by=colour", "stats", "cannot count by"),
        ("stats limit=3", "stats", "no option"),
        ("whoami now", "whoami", "takes no arguments"),
        ("connect cx-key", "connect", "takes no arguments"),
    ],
)
def test_malformed_arguments_get_that_subcommands_usage(text: str, subcommand: str, needle: str) -> None:
    parsed = usage(text)
    assert parsed.subcommand == subcommand
    assert parsed.problem is not None and needle in parsed.problem
    assert f"/cx {subcommand}" in parsed.text
    assert parsed.text.startswith(parsed.problem)


def test_unknown_subcommand_gets_the_full_usage() -> None:
    parsed = usage("frobnicate everything")
    assert parsed.subcommand is None
    assert "`frobnicate`" in (parsed.problem or "")
    assert all(f"/cx {name}" in parsed.text for name in SUBCOMMANDS)
    assert usage("help frobnicate").problem == "There is no command `frobnicate`."


def test_assign_targets() -> None:
    assert parse_command(f"assign {ID} me") == AssignCommand((ID,), Me())
    assert parse_command(f"assign {ID} {OTHER} <@U0BOB|bob>") == AssignCommand(
        (ID, OTHER), SlackUserTarget("U0BOB")
    )
    assert parse_command(f"assign {ID} <@U0BOB>") == AssignCommand((ID,), SlackUserTarget("U0BOB"))
    assert parse_command(f"assign {ID} Bob@Example.com") == AssignCommand(
        (ID,), CoralogixUserTarget("bob@example.com")
    )
    assert parse_command(f"assign {ID} <mailto:bob@example.com|bob@example.com>") == AssignCommand(
        (ID,), CoralogixUserTarget("bob@example.com")
    )


def test_list_filters() -> None:
    assert parse_command("list") == ListCommand()
    parsed = parse_command(
        "list status=triggered,resolved severity=critical,error app=shop,search subsystem=checkout "
        "assignee=Alice@Example.com limit=5 page=3"
    )
    assert parsed == ListCommand(
        statuses=(Status.TRIGGERED, Status.RESOLVED),
        severities=(Severity.CRITICAL, Severity.ERROR),
        applications=("shop", "search"),
        subsystems=("checkout",),
        assignee="alice@example.com",
        limit=5,
        page=3,
    )
    assert parse_command("list mine") == ListCommand(assignee="me")
    assert parse_command("ls status=all") == ListCommand(statuses=())
    assert parse_command("list status=open") == ListCommand(statuses=OPEN_STATUSES)


def test_list_arguments_round_trip_for_the_next_page() -> None:
    parsed = parse_command("list severity=critical app=shop mine limit=5")
    assert isinstance(parsed, ListCommand)
    following = parse_command("list " + parsed.arguments(page=2))
    assert following == ListCommand(
        severities=(Severity.CRITICAL,), applications=("shop",), assignee="me", limit=5, page=2
    )
    assert ListCommand(statuses=()).arguments() == "status=all"


def test_stats_and_the_small_ones() -> None:
    assert parse_command("stats") == StatsCommand()
    assert parse_command("stats by=app") == StatsCommand(by=GroupField.APPLICATION)
    assert parse_command("stats by=assignee status=all") == StatsCommand(by=GroupField.ASSIGNEE, statuses=())
    assert parse_command(f"show {ID[:10]}") == ShowCommand(ID[:10])
    assert parse_command("whoami") == WhoAmICommand()
    assert parse_command("connect") == ConnectCommand()
    assert parse_command("disconnect") == DisconnectCommand()


slack_like_text = st.lists(
    st.one_of(
        st.sampled_from([*SUBCOMMANDS, "acknowledge", "mine", "me", "by=app", "status=open", "page=2"]),
        st.sampled_from(
            [ID, ID[:8], "<@U0BOB|bob>", "<@U0BOB>", "<mailto:a@b.co|a@b.co>", "<https://x/#/incidents/"]
        ),
        st.from_regex(r"[a-z]{1,9}=[a-z0-9,]{0,12}", fullmatch=True),
        st.text(min_size=0, max_size=20),
    ),
    max_size=8,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), slack_like_text))
def test_arbitrary_text_never_raises_and_always_answers(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, (*COMMAND_TYPES, Usage))
    if isinstance(parsed, Usage):
        assert parsed.text.strip()
        assert parsed.problem != UNREADABLE, "the parser's safety net caught a bug"
