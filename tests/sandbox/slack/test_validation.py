"""Block checks the sandbox makes: Slack's limits rejected, ordinary Block Kit accepted."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from bot.sandbox.slack.validation import MAX_MESSAGE_BLOCKS, block_problems, parse_bool


def _text(n: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": "x" * n}


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "Go"}}


def test_ordinary_block_kit_passes() -> None:
    blocks = [
        HeaderBlock(text="Checkout 5xx"),
        SectionBlock(
            text=MarkdownTextObject(text="*Severity* critical"), fields=[PlainTextObject(text="shop")]
        ),
        DividerBlock(),
        ActionsBlock(
            block_id="incident_actions",
            elements=[
                ButtonElement(text="Acknowledge", action_id="incident_ack", value="inc-1", style="primary"),
                UserSelectElement(action_id="incident_assign", placeholder="Assign to"),
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text="via Coralogix")]),
    ]

    assert block_problems([b.to_dict() for b in blocks], limit=MAX_MESSAGE_BLOCKS, pointer="/blocks") == []


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ({"type": "section"}, "/blocks"),
        ([{"type": "section", "fields": [_text(1)] * 11}], "/blocks/0/fields"),
        ([{"type": "section"}], "/blocks/0"),
        ([{"type": "section", "text": _text(0)}], "/blocks/0/text/text"),
        ([{"type": "actions", "elements": [_button(f"a{i}") for i in range(26)]}], "/blocks/0/elements"),
        (
            [{"type": "actions", "elements": [_button("same"), _button("same")]}],
            "/blocks/0/elements/1/action_id",
        ),
        ([{"type": "context", "elements": [_text(1)] * 11}], "/blocks/0/elements"),
        ([{"type": "section", "text": _text(1), "block_id": "b" * 256}], "/blocks/0/block_id"),
    ],
)
def test_limits_are_reported_with_a_json_pointer(blocks: object, pointer: str) -> None:
    problems = block_problems(blocks, limit=MAX_MESSAGE_BLOCKS, pointer="/blocks")

    assert any(problem.endswith(f"[json-pointer:{pointer}]") for problem in problems), problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("1", True), ("0", False), ("true", True), ("false", False), (1, True)],
)
def test_slack_booleans(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected
