"""Checks Slack makes on message content, so the bot meets the same limits here as in a real workspace."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_CHARS = 40_000

_TEXT_LIMITS = {"section": 3000, "header": 150}
_BUTTON_TEXT_LIMIT = 75
_FIELD_LIMIT = 2000
_MAX_FIELDS = 10
_MAX_ACTION_ELEMENTS = 25
_MAX_CONTEXT_ELEMENTS = 10
_ID_LIMIT = 255
_VALUE_LIMIT = 2000
_VIEW_TITLE_LIMIT = 24
_PRIVATE_METADATA_LIMIT = 3000


def parse_bool(value: object) -> bool:
    """Slack's booleans: JSON true/false, or "1"/"0"/"true"/"false" in forms and query strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes"}


def parse_json_param(value: object) -> object:
    """A JSON-typed parameter arrives decoded (JSON bodies) or as a JSON string (forms)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def message_text(params: JsonObject) -> str:
    text = params.get("text")
    if text is None:
        return ""
    text = str(text)
    if len(text) > MAX_TEXT_CHARS:
        raise SlackMethodError("msg_too_long")
    return text


def message_blocks(params: JsonObject) -> list[JsonObject] | None:
    """The `blocks` parameter decoded and checked; None when absent."""
    if "blocks" not in params or params["blocks"] is None:
        return None
    try:
        blocks = parse_json_param(params["blocks"])
    except ValueError as exc:
        raise SlackMethodError("invalid_blocks", [_error("not valid JSON", "/blocks")]) from exc
    problems = block_problems(blocks, limit=MAX_MESSAGE_BLOCKS, pointer="/blocks")
    if problems:
        raise SlackMethodError("invalid_blocks", problems)
    assert isinstance(blocks, list)
    return blocks


def message_metadata(params: JsonObject) -> JsonObject | None:
    """The `metadata` parameter ({"event_type", "event_payload"}) decoded and checked; None when absent."""
    raw = params.get("metadata")
    if raw is None or raw == "":
        return None
    try:
        metadata = parse_json_param(raw)
    except ValueError as exc:
        raise SlackMethodError("invalid_metadata_format") from exc
    if not isinstance(metadata, dict):
        raise SlackMethodError("invalid_metadata_format")
    event_type = metadata.get("event_type")
    payload = metadata.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise SlackMethodError(
            "invalid_metadata_schema",
            [_error("needs a string event_type and an object event_payload", "/metadata")],
        )
    return {"event_type": event_type, "event_payload": payload}


def modal_view(params: JsonObject) -> JsonObject:
    """The `view` parameter of views.* decoded and checked."""
    try:
        view = parse_json_param(params.get("view"))
    except ValueError as exc:
        raise SlackMethodError("invalid_arguments", [_error("not valid JSON", "/view")]) from exc
    if not isinstance(view, dict):
        raise SlackMethodError("invalid_arguments", ["[ERROR] missing required field: view"])
    problems: list[str] = []
    if view.get("type") not in {"modal", "home"}:
        problems.append(_error("must be one of modal, home", "/view/type"))
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view or key == "title":
                problems += _text_object_problems(view.get(key), f"/view/{key}", _VIEW_TITLE_LIMIT)
    problems += _length_problems(view, "private_metadata", _PRIVATE_METADATA_LIMIT, "/view")
    problems += _length_problems(view, "callback_id", _ID_LIMIT, "/view")
    problems += block_problems(view.get("blocks"), limit=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    if problems:
        raise SlackMethodError("invalid_arguments", problems)
    return view


def block_problems(blocks: object, *, limit: int, pointer: str) -> list[str]:
    """Slack-style "[ERROR] … [json-pointer:…]" lines for every broken rule; empty when the blocks pass."""
    if not isinstance(blocks, list):
        return [_error("must be an array", pointer)]
    if len(blocks) > limit:
        return [_error(f"no more than {limit} items allowed", pointer)]
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(_error("must be an object with a type", here))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(_error("duplicate block_id", f"{here}/block_id"))
            block_ids.add(str(block_id))
            problems += _length_problems(block, "block_id", _ID_LIMIT, here)
        problems += _block_problems(block, here)
    return problems


def _block_problems(block: JsonObject, here: str) -> list[str]:
    kind = block["type"]
    problems: list[str] = []
    if kind in _TEXT_LIMITS and "text" in block:
        problems += _text_object_problems(block["text"], f"{here}/text", _TEXT_LIMITS[kind])
    if kind == "header" and "text" not in block:
        problems.append(_error("missing required field: text", here))
    if kind == "section":
        fields = block.get("fields")
        if "text" not in block and not fields:
            problems.append(_error("must provide text or fields", here))
        if fields is not None:
            problems += _fields_problems(fields, f"{here}/fields")
        if isinstance(block.get("accessory"), dict):
            problems += _element_problems(block["accessory"], f"{here}/accessory")
    if kind == "actions":
        problems += _elements_problems(block.get("elements"), f"{here}/elements", _MAX_ACTION_ELEMENTS)
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= _MAX_CONTEXT_ELEMENTS:
            problems.append(_error(f"must hold 1 to {_MAX_CONTEXT_ELEMENTS} elements", f"{here}/elements"))
    return problems


def _fields_problems(fields: object, here: str) -> list[str]:
    if not isinstance(fields, list) or len(fields) > _MAX_FIELDS:
        return [_error(f"must be an array of no more than {_MAX_FIELDS} items", here)]
    problems: list[str] = []
    for index, text in enumerate(fields):
        problems += _text_object_problems(text, f"{here}/{index}", _FIELD_LIMIT)
    return problems


def _elements_problems(elements: object, here: str, limit: int) -> list[str]:
    if not isinstance(elements, list) or not 1 <= len(elements) <= limit:
        return [_error(f"must hold 1 to {limit} elements", here)]
    problems: list[str] = []
    action_ids: set[str] = set()
    for index, element in enumerate(elements):
        where = f"{here}/{index}"
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            problems.append(_error("must be an object with a type", where))
            continue
        action_id = element.get("action_id")
        if action_id is not None:
            if action_id in action_ids:
                problems.append(_error("duplicate action_id", f"{where}/action_id"))
            action_ids.add(str(action_id))
        problems += _element_problems(element, where)
    return problems


def _element_problems(element: JsonObject, where: str) -> list[str]:
    problems = _length_problems(element, "action_id", _ID_LIMIT, where)
    if element.get("type") == "button":
        problems += _text_object_problems(element.get("text"), f"{where}/text", _BUTTON_TEXT_LIMIT)
        problems += _length_problems(element, "value", _VALUE_LIMIT, where)
        problems += _length_problems(element, "url", 3000, where)
    return problems


def _text_object_problems(value: object, here: str, limit: int) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in {"plain_text", "mrkdwn"}:
        return [_error("must be a text object of type plain_text or mrkdwn", here)]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [_error("must be more than 0 characters", f"{here}/text")]
    if len(text) > limit:
        return [_error(f"must be less than {limit + 1} characters", f"{here}/text")]
    return []


def _length_problems(container: JsonObject, key: str, limit: int, here: str) -> list[str]:
    value: Any = container.get(key)
    if value is not None and len(str(value)) > limit:
        return [_error(f"must be less than {limit + 1} characters", f"{here}/{key}")]
    return []


def _error(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"
