"""Slack's size limits that `slack_sdk.models` does not enforce, and the truncation the builders use.

`check_payload`/`check_view` return one line per violation (empty when the payload is fine); tests run
every builder's output through them, and a sender may log them before Slack answers `invalid_blocks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.slack.payload import MessagePayload

ELLIPSIS = "…"

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELD = 2000
MAX_SECTION_FIELDS = 10
MAX_TEXT_OBJECT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_PLACEHOLDER = 150
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_INPUT_LABEL = 2000
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255

JSON = Mapping[str, Any]


def truncate(text: str, limit: int) -> str:
    """`text` itself when it fits in `limit` characters, else cut to fit with a trailing ellipsis."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def check_payload(payload: MessagePayload) -> list[str]:
    """Violations of Slack's limits in a message (chat.postMessage / chat.update / response_url)."""
    problems: list[str] = []
    if not payload.text.strip():
        problems.append("message text is empty (it is the notification and screen-reader fallback)")
    if len(payload.text) > MAX_MESSAGE_TEXT:
        problems.append(f"message text has {len(payload.text)} characters, over {MAX_MESSAGE_TEXT}")
    if len(payload.blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"message has {len(payload.blocks)} blocks, over {MAX_MESSAGE_BLOCKS}")
    problems.extend(_check_blocks(payload.blocks))
    if payload.metadata is not None:
        problems.extend(_check_metadata(payload.metadata))
    return problems


def check_view(view: JSON) -> list[str]:
    """Violations of Slack's limits in a modal view (views.open / views.update / views.push)."""
    problems: list[str] = []
    if view.get("type") != "modal":
        problems.append(f"view type is {view.get('type')!r}, expected 'modal'")
    blocks = view.get("blocks") or []
    if not blocks:
        problems.append("view has no blocks")
    if len(blocks) > MAX_MODAL_BLOCKS:
        problems.append(f"view has {len(blocks)} blocks, over {MAX_MODAL_BLOCKS}")
    problems.extend(_check_text_object(view.get("title"), "view title", MAX_VIEW_TITLE, required=True))
    for key in ("submit", "close"):
        problems.extend(_check_text_object(view.get(key), f"view {key}", MAX_VIEW_BUTTON))
    problems.extend(_check_length(view.get("callback_id"), "view callback_id", MAX_CALLBACK_ID))
    problems.extend(
        _check_length(view.get("private_metadata"), "view private_metadata", MAX_PRIVATE_METADATA)
    )
    problems.extend(_check_blocks(blocks))
    return problems


def _check_metadata(metadata: JSON) -> Iterator[str]:
    if not isinstance(metadata.get("event_type"), str) or not metadata["event_type"]:
        yield "metadata has no event_type"
    if not isinstance(metadata.get("event_payload"), Mapping):
        yield "metadata event_payload is not an object"


def _check_blocks(blocks: Sequence[JSON]) -> Iterator[str]:
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type')})"
        block_id = block.get("block_id")
        if block_id is not None:
            yield from _check_length(block_id, f"{where} block_id", MAX_BLOCK_ID)
            if block_id in seen_block_ids:
                yield f"{where} repeats block_id {block_id!r}"
            seen_block_ids.add(block_id)
        yield from _check_block(block, where)


def _check_block(block: JSON, where: str) -> Iterator[str]:
    kind = block.get("type")
    if kind == "section":
        text, fields = block.get("text"), block.get("fields") or []
        if text is None and not fields:
            yield f"{where} has neither text nor fields"
        yield from _check_text_object(text, f"{where} text", MAX_SECTION_TEXT)
        if len(fields) > MAX_SECTION_FIELDS:
            yield f"{where} has {len(fields)} fields, over {MAX_SECTION_FIELDS}"
        for number, field in enumerate(fields):
            yield from _check_text_object(field, f"{where} field {number}", MAX_SECTION_FIELD, required=True)
        if block.get("accessory") is not None:
            yield from _check_element(block["accessory"], f"{where} accessory")
    elif kind == "header":
        yield from _check_text_object(block.get("text"), f"{where} text", MAX_HEADER_TEXT, required=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
            yield f"{where} has {len(elements)} elements, expected 1 to {MAX_CONTEXT_ELEMENTS}"
        for number, element in enumerate(elements):
            if element.get("type") in ("mrkdwn", "plain_text"):
                yield from _check_text_object(element, f"{where} element {number}", MAX_TEXT_OBJECT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > MAX_ACTIONS_ELEMENTS:
            yield f"{where} has {len(elements)} elements, expected 1 to {MAX_ACTIONS_ELEMENTS}"
        action_ids = [element.get("action_id") for element in elements if element.get("action_id")]
        for duplicate in sorted({a for a in action_ids if action_ids.count(a) > 1}):
            yield f"{where} repeats action_id {duplicate!r}"
        for number, element in enumerate(elements):
            yield from _check_element(element, f"{where} element {number}")
    elif kind == "input":
        yield from _check_text_object(block.get("label"), f"{where} label", MAX_INPUT_LABEL, required=True)
        yield from _check_text_object(block.get("hint"), f"{where} hint", MAX_INPUT_LABEL)
        if block.get("element") is None:
            yield f"{where} has no element"
        else:
            yield from _check_element(block["element"], f"{where} element")


def _check_element(element: JSON, where: str) -> Iterator[str]:
    yield from _check_length(element.get("action_id"), f"{where} action_id", MAX_ACTION_ID)
    yield from _check_text_object(element.get("placeholder"), f"{where} placeholder", MAX_PLACEHOLDER)
    if element.get("type") == "button":
        yield from _check_text_object(element.get("text"), f"{where} text", MAX_BUTTON_TEXT, required=True)
        yield from _check_length(element.get("value"), f"{where} value", MAX_BUTTON_VALUE)
        yield from _check_length(element.get("url"), f"{where} url", MAX_URL)
    confirm = element.get("confirm")
    if confirm is not None:
        yield from _check_text_object(confirm.get("title"), f"{where} confirm title", MAX_CONFIRM_TITLE, True)
        yield from _check_text_object(confirm.get("text"), f"{where} confirm text", MAX_CONFIRM_TEXT, True)
        for key in ("confirm", "deny"):
            yield from _check_text_object(
                confirm.get(key), f"{where} confirm {key}", MAX_CONFIRM_BUTTON, True
            )


def _check_text_object(obj: JSON | None, where: str, limit: int, required: bool = False) -> Iterator[str]:
    if obj is None:
        if required:
            yield f"{where} is missing"
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        yield f"{where} is empty"
        return
    yield from _check_length(text, where, limit)


def _check_length(value: object, where: str, limit: int) -> Iterator[str]:
    if isinstance(value, str) and len(value) > limit:
        yield f"{where} has {len(value)} characters, over {limit}"
