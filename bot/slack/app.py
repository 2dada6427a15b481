"""The Bolt app factory: one app, one error handler, listeners registered by surface."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.config import Settings

log = logging.getLogger(__name__)

REQUEST_VERIFICATION_LOGGER = "slack_bolt.RequestVerification"
BOLT_APP_LOGGER = "slack_bolt.App"


class RefusedBodyFilter(logging.Filter):
    """Bolt logs the whole body of a request it refuses (401); such a body may carry a personal API key
    typed into the connect form, so the record keeps only the fact of the refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "refused a request with a bad or stale Slack signature (401); its body is not logged"
        record.args = ()
        return True


class ClientGivenFilter(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused whenever it is set and a client is given, as here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_bolt_app(settings: Settings, client: WebClient) -> App:
    """Signature checks (401 on a bad or stale signature) are Bolt's; no Slack call is made here."""
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app_logger = logging.getLogger(BOLT_APP_LOGGER)
    if not any(isinstance(f, ClientGivenFilter) for f in app_logger.filters):
        app_logger.addFilter(ClientGivenFilter())
    app = App(
        client=client,
        signing_secret=signing_secret or "socket-mode-does-not-sign",
        token_verification_enabled=False,
        request_verification_enabled=settings.slack_app_token is None,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    refusals = logging.getLogger(REQUEST_VERIFICATION_LOGGER)
    if not any(isinstance(f, RefusedBodyFilter) for f in refusals.filters):
        refusals.addFilter(RefusedBodyFilter())

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a Slack listener: %s: %s", type(error).__name__, error)

    return app
