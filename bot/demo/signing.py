"""Slack's request signing (v0), as Slack signs every request it sends to an app's request URL."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_VERSION = "v0"


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the app's signing secret."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_headers(signing_secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers that prove a request came from Slack, stamped `now` (default: the clock)."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(signing_secret, timestamp, body),
    }
