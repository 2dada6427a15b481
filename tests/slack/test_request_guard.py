"""The front door of /slack/events: the signature on the raw bytes first, then only bodies Bolt can parse."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult

from bot.slack.request_guard import (
    EVENTS_API_TYPES,
    FORM,
    MAX_SKEW_SECONDS,
    SlackRequestGuard,
    body_refusal,
    signature_refusal,
)

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

SECRET = "unit-signing-secret-0123456789"
NOW = 1_760_000_000.0
STAMP = str(int(NOW))
JSON = "application/json"


def sign(body: bytes, stamp: str = STAMP, secret: str = SECRET) -> str:
    return (
        "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    )


# ---------------------------------------------------------------------------------------------- signature


def test_a_good_signature_within_five_minutes_passes() -> None:
    body = b"command=%2Fcx&text=help"
    assert signature_refusal(SECRET.encode(), body, STAMP, sign(body), NOW) is None
    late = str(int(NOW) - MAX_SKEW_SECONDS)
    assert signature_refusal(SECRET.encode(), body, late, sign(body, late), NOW) is None


@pytest.mark.parametrize(
    ("stamp", "signature"),
    [
        (None, "v0=" + "0" * 64),
        (STAMP, None),
        ("", "v0=" + "0" * 64),
        (STAMP, ""),
    ],
)
def test_a_missing_header_is_refused(stamp: str | None, signature: str | None) -> None:
    refusal = signature_refusal(SECRET.encode(), b"a=b", stamp, signature, NOW)
    assert refusal is not None
    assert refusal.status.startswith("401")


@pytest.mark.parametrize(
    "stamp",
    ["abc", "12abc", f"+{STAMP}", f" {STAMP}", f"{STAMP}.0", f"{STAMP[:4]}_{STAMP[4:]}", "١٧٦٠٠٠٠٠٠٠", "1e9"],
)
def test_only_ascii_digits_are_a_timestamp(stamp: str) -> None:
    """int() accepts several of these (signs, underscores, other scripts' digits): the guard does not."""
    body = b"a=b"
    refusal = signature_refusal(SECRET.encode(), body, stamp, sign(body, stamp), NOW)
    assert refusal is not None
    assert refusal.status.startswith("401")


@pytest.mark.parametrize("skew", [-MAX_SKEW_SECONDS - 1, MAX_SKEW_SECONDS + 1, -86400, 10**9])
def test_a_timestamp_over_five_minutes_away_is_refused(skew: int) -> None:
    body = b"a=b"
    stamp = str(int(NOW) + skew)
    refusal = signature_refusal(SECRET.encode(), body, stamp, sign(body, stamp), NOW)
    assert refusal is not None
    assert refusal.reason == "stale Slack request"


@pytest.mark.parametrize(
    "signature",
    [
        sign(b"a=c"),  # another body
        sign(b"a=b", secret="another-secret-0123456789"),
        sign(b"a=b").upper(),
        sign(b"a=b")[:-1],
        "v1=" + sign(b"a=b")[3:],
        "v0=" + "é" * 64,  # not ASCII: compare_digest would raise on str
        sign(b"a=b") + ", " + sign(b"a=b"),  # the header sent twice
    ],
)
def test_a_wrong_signature_is_refused(signature: str) -> None:
    refusal = signature_refusal(SECRET.encode(), b"a=b", STAMP, signature, NOW)
    assert refusal is not None
    assert refusal.status.startswith("401")


@given(body=st.binary(max_size=256), stamp=st.text(max_size=20), signature=st.text(max_size=80))
def test_the_signature_check_never_raises(body: bytes, stamp: str, signature: str) -> None:
    refusal = signature_refusal(SECRET.encode(), body, stamp, signature, NOW)
    assert refusal is None or refusal.status.startswith("401")


# ---------------------------------------------------------------------------------------------- body


def _payload(document: object) -> bytes:
    return urlencode({"payload": json.dumps(document)}).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"command=%2Fcx&text=help&user_id=U1", FORM),
        (b"command=%2Fcx&text=help", FORM + "; charset=utf-8"),
        (_payload({"type": "block_actions", "actions": [{"action_id": "a"}]}), FORM),
        (b"command=%2Fcx&text=payload", FORM),  # "payload" in the text, no payload field
        (json.dumps({"type": "url_verification", "challenge": "x"}).encode(), JSON),
        (json.dumps({"type": "event_callback", "event": {}}).encode(), JSON + "; charset=utf-8"),
    ],
)
def test_bodies_bolt_can_parse_pass(body: bytes, content_type: str) -> None:
    assert body_refusal(body, content_type) is None


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", FORM, "empty body"),
        (b"\xff\xfe", FORM, "the body is not UTF-8"),
        (b"text=caf\xe9", FORM, "the body is not UTF-8"),
        (b"{", FORM, "the body is not JSON"),
        (b"{", JSON, "the body is not JSON"),
        (b"command=%2Fcx&text=help", JSON, "the body is not JSON"),
        (b"[1, 2]", JSON, "a JSON body must be an Events API request"),
        (b'{"type": "block_actions"}', JSON, "a JSON body must be an Events API request"),
        (b'{"type": "url_verification"}', FORM, None),  # Bolt reads a leading { as JSON, whatever the type
        (b"payload=%7Bnope", FORM, "payload is not JSON"),
        (_payload([1, 2]), FORM, "payload is not a JSON object"),
        (_payload("text"), FORM, "payload is not a JSON object"),
        (b'{"type": [1]}', JSON, "a JSON body must be an Events API request"),
        (b'{"type": "event_callback", "event": null}', JSON, "event is not a JSON object"),
        (b'{"type": "app_rate_limited", "authorizations": false}', JSON, "not a Slack request Bolt can read"),
        (b'{"type": "event_callback", "event": {}, "authorizations": [1]}', JSON, "not a Slack request"),
        (b"view=", FORM, "view is not a JSON object"),
        (b"event=x", FORM, "event is not a JSON object"),
        (_payload({"type": "block_actions", "actions": None}), FORM, "actions is not a list"),
        (_payload({"type": "block_actions", "actions": []}), FORM, "actions is empty"),
        (_payload({"type": "block_actions", "actions": [{}], "container": "x"}), FORM, "container is not"),
        (b"command=%2Fcx", "text/plain", "unsupported Content-Type"),
        (b"command=%2Fcx", None, "unsupported Content-Type"),
    ],
)
def test_bodies_bolt_cannot_parse_get_400(body: bytes, content_type: str | None, reason: str | None) -> None:
    refusal = body_refusal(body, content_type)
    if reason is None:
        assert refusal is None
        return
    assert refusal is not None
    assert refusal.status == "400 Bad Request"
    assert refusal.reason.startswith(reason)


# ---------------------------------------------------------------------------------------------- WSGI


class Downstream:
    """Stands in for Bolt's adapter: records what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]


class Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.append(status)
        return None

    body = b"".join(app(environ, start_response))
    return seen[0], body


def environ_for(
    body: bytes, *, content_type: str | None = FORM, stamp: str | None = STAMP, signature: str | None = None
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if stamp is not None:
        environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = stamp
    if signature is not None:
        environ["HTTP_X_SLACK_SIGNATURE"] = signature
    return environ


def guard(downstream: Any, max_body: int = 4096) -> SlackRequestGuard:
    return SlackRequestGuard(downstream, SECRET, max_body=max_body, clock=lambda: NOW)


def test_a_signed_body_reaches_bolt_byte_for_byte() -> None:
    downstream = Downstream()
    body = _payload({"type": "block_actions", "text": "héllo"})
    status, _ = call(guard(downstream), environ_for(body, signature=sign(body)))
    assert status == "200 OK"
    assert downstream.bodies == [body]


def test_an_unsigned_body_never_reaches_bolt() -> None:
    downstream = Downstream()
    status, answer = call(guard(downstream), environ_for(b"{", signature=None))
    assert status.startswith("401")
    assert answer == b"missing Slack signature\n"
    assert downstream.bodies == []


def test_signed_junk_never_reaches_bolt() -> None:
    downstream = Downstream()
    status, answer = call(guard(downstream), environ_for(b"payload=nope", signature=sign(b"payload=nope")))
    assert status.startswith("400")
    assert answer == b"payload is not JSON\n"
    assert downstream.bodies == []


def test_a_declared_length_over_the_cap_gets_413_without_reading() -> None:
    downstream = Downstream()
    environ = environ_for(b"", signature=None)
    environ["CONTENT_LENGTH"] = str(100 * 1024 * 1024)
    environ["wsgi.input"] = Unreadable()
    status, _ = call(guard(downstream), environ)
    assert status.startswith("413")
    assert downstream.bodies == []


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "٣"])
def test_a_bad_content_length_gets_400(length: str) -> None:
    environ = environ_for(b"a=b", signature=sign(b"a=b"))
    environ["CONTENT_LENGTH"] = length
    status, _ = call(guard(Downstream()), environ)
    assert status.startswith("400")


def test_the_refusal_log_line_never_carries_the_body(caplog: pytest.LogCaptureFixture) -> None:
    body = b"api_key=cx-personal-secret-key"
    with caplog.at_level("INFO"):
        call(guard(Downstream()), environ_for(body, signature="v0=" + "0" * 64))
    assert "refused a request" in caplog.text
    assert "cx-personal-secret-key" not in caplog.text


# ----------------------------------------------------------------- with Bolt behind it: never a 500


def _bolt() -> SlackRequestHandler:
    app = App(
        signing_secret=SECRET,
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-unit", bot_user_id="U0BOT", bot_id="B0BOT"
        ),
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )
    return SlackRequestHandler(app)


BOLT = _bolt()
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    JSONISH.map(lambda d: json.dumps(d).encode()),
    st.dictionaries(st.sampled_from(["type", "event", "challenge", "token"]), JSONISH, max_size=4).map(
        lambda d: json.dumps(d).encode()
    ),
    st.builds(
        lambda t, rest: json.dumps({"type": t, **rest}).encode(),
        st.sampled_from(sorted(EVENTS_API_TYPES)),
        st.dictionaries(st.sampled_from(["event", "challenge", "team_id", "authorizations"]), JSONISH),
    ),
    JSONISH.map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
    st.text(max_size=60).map(lambda t: urlencode({"payload": t}).encode()),
    st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4).map(
        lambda d: urlencode(d).encode()
    ),
)
CONTENT_TYPES = st.sampled_from(
    [FORM, FORM + "; charset=utf-8", JSON, "Application/JSON", "text/plain", None]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_any_signed_body_gets_an_answer_from_bolt_or_a_400_never_a_500(
    body: bytes, content_type: str | None
) -> None:
    """Signed with the real secret, so nothing stops it but the parse check: Bolt must never choke."""
    import time

    stamp = str(int(time.time()))
    environ = environ_for(body, content_type=content_type, stamp=stamp, signature=sign(body, stamp))
    status, _ = call(SlackRequestGuard(BOLT, SECRET, max_body=4096), environ)
    assert not status.startswith("5"), (status, body, content_type)


def test_a_command_that_mentions_payload_reaches_its_listener_with_its_text() -> None:
    """Bolt alone reads any form containing "payload" as an interaction and loses the command."""
    import time

    heard: list[str] = []
    app = App(
        signing_secret=SECRET,
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-unit", bot_user_id="U0BOT", bot_id="B0BOT"
        ),
        token_verification_enabled=False,
    )

    @app.command("/cx")
    def _heard(ack: Any, command: dict[str, Any]) -> None:
        heard.append(command["text"])
        ack()

    stamp = str(int(time.time()))
    body = urlencode(
        {"command": "/cx", "text": "list app=payload-api", "user_id": "U1", "channel_name": "payloads"}
    ).encode()
    front = SlackRequestGuard(SlackRequestHandler(app), SECRET, max_body=4096)
    status, _ = call(front, environ_for(body, stamp=stamp, signature=sign(body, stamp)))
    assert status == "200 OK"
    assert heard == ["list app=payload-api"]
    # and a forged body is still refused before anything is rewritten or re-signed
    status, _ = call(front, environ_for(body, stamp=stamp, signature="v0=" + "0" * 64))
    assert status.startswith("401")
