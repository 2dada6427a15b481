"""`/cx room ID`: one incident, or the usage of `room` saying what is wrong."""

from __future__ import annotations

import pytest

from bot.slack.commands import RoomCommand, Usage, parse_command, usage_text


def test_room_names_one_incident() -> None:
    assert parse_command("room 3f2a9c1e-77aa") == RoomCommand("3f2a9c1e-77aa")
    assert parse_command("ROOM 3f2a9c1e") == RoomCommand("3f2a9c1e")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("room", "`room` takes exactly one incident ID."),
        ("room 3f2a9c1e 4b5c6d7e", "`room` takes exactly one incident ID."),
        ("room abc", "`abc` is too short: give the incident ID or at least its first 8 characters."),
        ("room <@U0ALICE>", "is not an incident ID."),
    ],
)
def test_malformed_room_commands_get_the_usage_of_room(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Usage)
    assert parsed.subcommand == "room"
    assert parsed.problem is not None and problem in parsed.problem
    assert "/cx room ID" in parsed.text


def test_help_lists_room() -> None:
    assert "`/cx room ID` — open the incident's war room" in usage_text("/cx")
