"""The Bolt app factory: one app, one error handler, listeners registered by surface."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings

log = logging.getLogger(__name__)


def build_bolt_app(settings: Settings, client: WebClient) -> App:
    """Signature checks (401 on a bad or stale signature) are Bolt's; no Slack call is made here."""
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=client,
        signing_secret=signing_secret or "socket-mode-does-not-sign",
        token_verification_enabled=False,
        request_verification_enabled=settings.slack_app_token is None,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a Slack listener: %s: %s", type(error).__name__, error)

    return app
