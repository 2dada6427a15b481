"""Our signatures, checked by slack_sdk's own verifier (an implementation we did not write)."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

from bot.demo.signing import signed_headers, slack_signature

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_slack_sdk_accepts_our_signature() -> None:
    body = b"command=%2Fcx&text=list"
    headers = signed_headers(SECRET, body)
    assert SignatureVerifier(SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_signature_follows_slacks_documented_example() -> None:
    # the example request of Slack's "Verifying requests from Slack" page
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        slack_signature(SECRET, "1531420618", body)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_another_secret_or_body_does_not_verify() -> None:
    body = b"payload=%7B%7D"
    headers = signed_headers(SECRET, body)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert not SignatureVerifier("another-secret").is_valid(body, timestamp, signature)
    assert not SignatureVerifier(SECRET).is_valid(body + b"x", timestamp, signature)


def test_headers_are_stamped_with_the_time_given() -> None:
    headers = signed_headers(SECRET, b"", now=1_700_000_000.9)
    assert headers["X-Slack-Request-Timestamp"] == "1700000000"
    assert abs(int(signed_headers(SECRET, b"")["X-Slack-Request-Timestamp"]) - time.time()) < 5
