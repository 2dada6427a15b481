"""Our checks of Slack's limits, including the ones slack_sdk.models let through."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.slack.blocks import MessagePayload
from bot.slack.limits import check_payload, check_view, truncate


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("exactly10!", 10) == "exactly10!"
    assert truncate("eleven chars", 10) == "eleven ch…"
    assert truncate("word  and more", 7) == "word…"  # no dangling space before the ellipsis
    assert truncate("abc", 1) == "…"
    for limit in range(1, 30):
        assert len(truncate("x" * 100, limit)) == limit
    with pytest.raises(ValueError, match="at least 1"):
        truncate("abc", 0)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(**overrides: Any) -> dict[str, Any]:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Go"},
        "action_id": "go",
        "value": "v",
    }
    element.update(overrides)
    return element


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


GOOD: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "body"},
        "fields": [{"type": "mrkdwn", "text": "f"}],
    },
    actions(
        button(),
        {"type": "users_select", "action_id": "pick", "placeholder": {"type": "plain_text", "text": "Pick"}},
        button(
            action_id="close",
            confirm={
                "title": {"type": "plain_text", "text": "Sure?"},
                "text": {"type": "plain_text", "text": "Really."},
                "confirm": {"type": "plain_text", "text": "Yes"},
                "deny": {"type": "plain_text", "text": "No"},
            },
        ),
    ),
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "small"}]},
    {"type": "divider"},
]


def test_a_good_message_passes() -> None:
    payload = MessagePayload("fallback", copy.deepcopy(GOOD), {"event_type": "x", "event_payload": {"a": 1}})
    assert check_payload(payload) == []


def with_block(index: int, **changes: Any) -> list[dict[str, Any]]:
    blocks = copy.deepcopy(GOOD)
    blocks[index].update(changes)
    return blocks


def confirm_with(**changes: Any) -> list[dict[str, Any]]:
    blocks = copy.deepcopy(GOOD)
    blocks[2]["elements"][2]["confirm"].update(changes)
    return blocks


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (MessagePayload("t", [section("s")] * 51), "message has 51 blocks, over 50"),
        (MessagePayload("x" * 40_001, GOOD), "message text has 40001 characters, over 40000"),
        (MessagePayload(" ", GOOD), "message text is empty"),
        (MessagePayload("t", [section("x" * 3001)]), "block 0 (section) text has 3001 characters, over 3000"),
        (
            MessagePayload("t", with_block(1, fields=[{"type": "mrkdwn", "text": "x" * 2001}])),
            "block 1 (section) field 0 has 2001 characters, over 2000",
        ),
        (
            MessagePayload("t", with_block(1, fields=[{"type": "mrkdwn", "text": "f"}] * 11)),
            "block 1 (section) has 11 fields, over 10",
        ),
        (MessagePayload("t", [{"type": "section"}]), "block 0 (section) has neither text nor fields"),
        (MessagePayload("t", [section("")]), "block 0 (section) text is empty"),
        (
            MessagePayload("t", with_block(0, text={"type": "plain_text", "text": "h" * 151})),
            "block 0 (header) text has 151 characters, over 150",
        ),
        (
            MessagePayload("t", [actions(button(text={"type": "plain_text", "text": "b" * 76}))]),
            "block 0 (actions) element 0 text has 76 characters, over 75",
        ),
        (
            MessagePayload("t", [actions(button(value="v" * 2001))]),
            "block 0 (actions) element 0 value has 2001 characters, over 2000",
        ),
        (
            MessagePayload("t", [actions(button(action_id="a" * 256))]),
            "block 0 (actions) element 0 action_id has 256 characters, over 255",
        ),
        (
            MessagePayload("t", [actions(button(url="https://x/" + "u" * 3000))]),
            "block 0 (actions) element 0 url has 3010 characters, over 3000",
        ),
        (MessagePayload("t", [actions(button(), button())]), "block 0 (actions) repeats action_id 'go'"),
        (MessagePayload("t", [actions()]), "block 0 (actions) has 0 elements, expected 1 to 25"),
        (
            MessagePayload("t", [actions(*[button(action_id=f"b{n}") for n in range(26)])]),
            "block 0 (actions) has 26 elements, expected 1 to 25",
        ),
        (
            MessagePayload("t", confirm_with(text={"type": "plain_text", "text": "c" * 301})),
            "block 2 (actions) element 2 confirm text has 301 characters, over 300",
        ),
        (
            MessagePayload("t", confirm_with(deny={"type": "plain_text", "text": "d" * 31})),
            "block 2 (actions) element 2 confirm deny has 31 characters, over 30",
        ),
        (
            MessagePayload("t", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]),
            "block 0 (context) has 11 elements, expected 1 to 10",
        ),
        (
            MessagePayload("t", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]}]),
            "block 0 (context) element 0 has 3001 characters, over 3000",
        ),
        (
            MessagePayload("t", [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}]),
            "block 1 (section) repeats block_id 'same'",
        ),
        (
            MessagePayload("t", [{**section("a"), "block_id": "b" * 256}]),
            "block 0 (section) block_id has 256 characters, over 255",
        ),
        (MessagePayload("t", GOOD, {"event_payload": {}}), "metadata has no event_type"),
        (
            MessagePayload("t", GOOD, {"event_type": "x", "event_payload": "id"}),
            "metadata event_payload is not",
        ),
    ],
)
def test_each_violation_is_reported(payload: MessagePayload, problem: str) -> None:
    problems = check_payload(payload)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_what_slack_sdk_misses_we_catch() -> None:
    """slack_sdk's models accept these; Slack would answer invalid_blocks (or drop blocks)."""
    long_field = [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]
    too_many = [section("s")] * 51
    for blocks in (long_field, too_many):
        [block.to_dict() for block in Block.parse_all(blocks)]  # no complaint from slack_sdk
        assert check_payload(MessagePayload("t", blocks)) != []


def modal(**changes: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "cb",
        "title": {"type": "plain_text", "text": "Title"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            section("s"),
            {
                "type": "input",
                "block_id": "in",
                "label": {"type": "plain_text", "text": "Label"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
        ],
    }
    view.update(changes)
    return view


def test_a_good_view_passes() -> None:
    assert check_view(modal()) == []
    assert check_view(modal(blocks=[section("s")] * 100)) == []


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        (modal(blocks=[section("s")] * 101), "view has 101 blocks, over 100"),
        (modal(blocks=[]), "view has no blocks"),
        (modal(type="home"), "view type is 'home', expected 'modal'"),
        (modal(title={"type": "plain_text", "text": "t" * 25}), "view title has 25 characters, over 24"),
        (modal(title=None), "view title is missing"),
        (modal(submit={"type": "plain_text", "text": "s" * 25}), "view submit has 25 characters, over 24"),
        (modal(private_metadata="p" * 3001), "view private_metadata has 3001 characters, over 3000"),
        (modal(callback_id="c" * 256), "view callback_id has 256 characters, over 255"),
        (modal(blocks=[section("x" * 3001)]), "block 0 (section) text has 3001 characters"),
        (
            modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "L"}}]),
            "block 0 (input) has no element",
        ),
    ],
)
def test_each_view_violation_is_reported(view: dict[str, Any], problem: str) -> None:
    problems = check_view(view)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)
