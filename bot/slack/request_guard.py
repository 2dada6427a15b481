"""The front door of `/slack/events`: the Slack signature is checked on the raw bytes before anything
parses them, and a signed body Bolt could not parse is refused with 400 instead of reaching Bolt.

Bolt parses the body (UTF-8, then JSON or a form) before it checks the signature, and a body it cannot
parse ends in an exception; so this layer runs first and hands Bolt only what Bolt handles.

One more fold: Bolt reads any form body that contains the word "payload" as an interactive payload and,
finding no `payload` field, as nothing at all, so `/cx list app=payload-api` would be lost. Such a body
reaches Bolt with that word's first letter percent-encoded (the same form once decoded), signed again with
the same timestamp, after its own signature was checked.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from slack_bolt.request import BoltRequest

if TYPE_CHECKING:
    from wsgiref.types import InputStream, StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 5 * 60  # Slack's replay window
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
EVENTS_API_TYPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})
OBJECT_FIELDS = ("event", "view", "message", "container", "state")
LIST_FIELDS = ("actions", "authorizations")
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the HTTP status and a short reason for the caller (and the log)."""

    status: str
    reason: str


def signature_refusal(
    secret: bytes, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> Refusal | None:
    """None when `signature` is Slack's v0 HMAC of the raw `body`, made within 5 minutes of `now`."""
    if not timestamp or not signature:
        return Refusal("401 Unauthorized", "missing Slack signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Refusal("401 Unauthorized", "bad X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return Refusal("401 Unauthorized", "stale Slack request")
    if not _SIGNATURE.fullmatch(signature):
        return Refusal("401 Unauthorized", "bad Slack signature")
    expected = _sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return Refusal("401 Unauthorized", "bad Slack signature")
    return None


def _sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "v0=" + hmac.new(secret, b"v0:" + timestamp.encode("ascii") + b":" + body, hashlib.sha256).hexdigest()
    )


def without_payload_lookalike(body: bytes, content_type: str | None) -> bytes:
    """`body`, with "payload" spelled "%70ayload" when it is a form without a `payload` field (see above)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != FORM or b"payload" not in body or body.startswith(b"{"):
        return body
    fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if any(key == "payload" for key, _ in fields):
        return body
    return body.replace(b"payload", b"%70ayload")


def body_refusal(body: bytes, content_type: str | None) -> Refusal | None:
    """None when Bolt can parse `body`: a form (with `payload=` a JSON object, if any) or an Events API
    JSON object. Bolt itself parses it here, as it will (its own rule for what is JSON); only a body it
    cannot read is looked at again, to say why."""
    if not body:
        return _bad("empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _bad("the body is not UTF-8")
    media = (content_type or "").split(";")[0].strip().lower()
    json_body = media == JSON or text.startswith("{")  # all that Bolt reads as JSON
    if not json_body and media != FORM:
        return _bad(f"unsupported Content-Type; expected {FORM}")
    try:
        parsed = BoltRequest(body=text, headers={"content-type": content_type or ""}).body
    except Exception:
        return _unreadable(text, json_body)
    if json_body:
        kind = parsed.get("type")
        if not isinstance(kind, str) or kind not in EVENTS_API_TYPES:
            return _bad("a JSON body must be an Events API request; commands and interactions are forms")
    return _shape_refusal(parsed)


def _unreadable(text: str, json_body: bool) -> Refusal:
    """Why Bolt could not read `text`."""
    if json_body:
        try:
            document = json.loads(text)
        except ValueError:
            return _bad("the body is not JSON")
        if not isinstance(document, dict):
            return _bad("a JSON body must be an Events API request; commands and interactions are forms")
    elif "payload" in text:  # Bolt's test: then only the `payload` field is read, as JSON
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            try:
                document = json.loads(payload)
            except ValueError:
                return _bad("payload is not JSON")
            if not isinstance(document, dict):
                return _bad("payload is not a JSON object")
    return _bad("not a Slack request Bolt can read")


def _shape_refusal(body: dict[str, object]) -> Refusal | None:
    """Bolt's middleware and matchers read these fields, when present, as objects (or lists of objects)
    without checking; Slack always sends them so. Not a full schema of Slack's payloads."""
    for key in OBJECT_FIELDS:
        if key in body and not isinstance(body[key], dict):
            return _bad(f"{key} is not a JSON object")
    for key in LIST_FIELDS:
        value = body.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            return _bad(f"{key} is not a list of JSON objects")
    if "actions" in body and not body["actions"]:
        return _bad("actions is empty")  # Bolt reads the first one
    return None


def _bad(reason: str) -> Refusal:
    return Refusal("400 Bad Request", reason)


class SlackRequestGuard:
    """WSGI middleware in front of Bolt's adapter: 413 for a body over `max_body` (unread), 401 for a bad
    or stale signature, 400 for a signed body Bolt cannot parse; otherwise `app` gets the same bytes."""

    def __init__(
        self,
        app: WSGIApplication,
        signing_secret: str,
        *,
        max_body: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._secret = signing_secret.encode()
        self._max_body = max_body
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length_header = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not length_header.isdigit() or not length_header.isascii():
            return _refuse(start_response, environ, Refusal("400 Bad Request", "bad Content-Length"))
        length = int(length_header)
        if length > self._max_body:
            return _refuse(start_response, environ, Refusal("413 Request Entity Too Large", "body too large"))
        body = _read(environ["wsgi.input"], length)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        refusal = signature_refusal(
            self._secret, body, timestamp, environ.get("HTTP_X_SLACK_SIGNATURE"), self._clock()
        )
        if refusal is not None:
            return _refuse(start_response, environ, refusal)
        passed = dict(environ)
        readable = without_payload_lookalike(body, environ.get("CONTENT_TYPE"))
        if readable != body and timestamp is not None:
            body = readable
            passed["HTTP_X_SLACK_SIGNATURE"] = _sign(self._secret, timestamp, body)
        refusal = body_refusal(body, environ.get("CONTENT_TYPE"))
        if refusal is not None:
            return _refuse(start_response, environ, refusal)
        passed["wsgi.input"] = io.BytesIO(body)
        passed["CONTENT_LENGTH"] = str(len(body))
        return self._app(passed, start_response)


def _read(stream: InputStream, length: int) -> bytes:
    chunks: list[bytes] = []
    left = length
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _refuse(start_response: StartResponse, environ: WSGIEnvironment, refusal: Refusal) -> list[bytes]:
    # the body is never logged: a refused request may still carry a secret (a personal API key)
    log.info(
        "refused a request to %s: %s (%s)",
        environ.get("PATH_INFO", ""),
        refusal.reason,
        refusal.status.split(" ")[0],
    )
    data = (refusal.reason + "\n").encode()
    start_response(
        refusal.status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]
