"""Turns an HTTP request to the Web API into (token, params) the way Slack reads them."""

from __future__ import annotations

import contextlib
import json
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject

JSON_TYPED_PARAMS = ("blocks", "metadata", "view", "attachments")


def decode_params(query: str, content_type: str, body: bytes) -> JsonObject:
    """Query string, then the body (JSON, form or multipart) on top, with JSON-typed strings decoded."""
    params: JsonObject = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body:
        if media_type == "application/json":
            params.update(_json_body(body))
        elif media_type == "multipart/form-data":
            params.update(_multipart_body(content_type, body))
        else:
            params.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    for name in JSON_TYPED_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value:
            # an undecodable string stays: the method answers invalid_blocks / invalid_metadata_format
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def bearer_token(authorization: str | None, params: JsonObject) -> str | None:
    """The token from `Authorization: Bearer …`, else from a `token` parameter (removed from params)."""
    from_params = params.pop("token", None)
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    return str(from_params) if from_params else None


def _json_body(body: bytes) -> JsonObject:
    try:
        decoded = json.loads(body)
    except ValueError:
        raise SlackMethodError("invalid_json") from None
    if not isinstance(decoded, dict):
        raise SlackMethodError("invalid_json")
    return decoded


def _multipart_body(content_type: str, body: bytes) -> JsonObject:
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = BytesParser(policy=HTTP).parsebytes(envelope)
    params: JsonObject = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        params[name] = payload if part.get_filename() else payload.decode("utf-8", errors="replace")
    return params
