"""Slack escapes `&`, `<` and `>` in slash-command text; the parser reads what the person typed."""

from __future__ import annotations

from bot.actions.model import SlackUserTarget
from bot.slack.blocks import incident_list
from bot.slack.commands import (
    AssignCommand,
    ListCommand,
    Usage,
    parse_command,
    tokenize,
    unescape,
)


def test_entities_are_read_as_the_characters_typed() -> None:
    parsed = parse_command("list app=a&amp;b subsystem=x&lt;y&gt;z")
    assert isinstance(parsed, ListCommand)
    assert parsed.applications == ("a&b",)
    assert parsed.subsystems == ("x<y>z",)


def test_unescaped_once_only() -> None:
    assert unescape("&amp;lt; &amp;amp; &lt;&gt;") == "&lt; &amp; <>"
    parsed = parse_command("list app=a&amp;amp;b")
    assert isinstance(parsed, ListCommand) and parsed.applications == ("a&amp;b",)


def test_slack_tokens_stay_whole() -> None:
    assert tokenize("assign 1234abcd <@U0BOB|bob &amp; co>") == [
        "assign",
        "1234abcd",
        "<@U0BOB|bob &amp; co>",
    ]
    parsed = parse_command("assign 1234abcd-0000 <@U0BOB|bob &amp; co>")
    assert isinstance(parsed, AssignCommand) and parsed.target == SlackUserTarget("U0BOB")


def test_the_list_shows_what_was_typed() -> None:
    parsed = parse_command("list app=a&amp;b")
    assert isinstance(parsed, ListCommand)
    title = f"Open incidents ({parsed.arguments()})"
    payload = incident_list([], title=title, total=0, has_more=False)
    assert payload.blocks[0]["text"]["text"] == "Open incidents (app=a&b)"  # plain_text
    assert payload.text == "Open incidents (app=a&amp;b): no incidents match."  # mrkdwn: shows a&b


def test_words_quoted_back_are_escaped_again() -> None:
    parsed = parse_command("list colour=&lt;!channel&gt;")
    assert isinstance(parsed, Usage)
    assert "<!channel>" not in parsed.text
    assert "`colour`" in parsed.text
    shown = parse_command("frobnicate&lt;!here&gt;")
    assert isinstance(shown, Usage) and "&lt;!here&gt;" in shown.text and "<!here>" not in shown.text
