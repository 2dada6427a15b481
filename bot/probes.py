"""Cheap calls that tell whether Slack and Coralogix accept our credentials (`incident-bot check`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.errors import BotError

Probe = Callable[[], str]


def coralogix_probe(settings: Settings) -> Probe:
    """One one-item list with the team key, on the API CORALOGIX_API names (or the one `auto` finds)."""

    def probe() -> str:
        from bot.coralogix.auto import AutoBackend
        from bot.coralogix.endpoint import resolve_endpoint
        from bot.runtime import coralogix_backend

        endpoint = resolve_endpoint(
            settings.coralogix_region, settings.coralogix_domain, settings.coralogix_grpc_endpoint
        )
        client = coralogix_backend(settings, endpoint)
        try:
            page = client.list_incidents(page_size=1)
            api = client.api
        finally:
            client.close_channel()
        total = "unknown" if page.total_size is None else str(page.total_size)
        things = "cases" if api == "cases" else "incidents"
        how = "found by CORALOGIX_API=auto" if isinstance(client, AutoBackend) else "CORALOGIX_API"
        detail = ""
        if isinstance(client, AutoBackend) and client.detection is not None:
            detail = f": {client.detection.reason}"
        return f"{endpoint}, {api.capitalize()} API ({how}{detail}), {total} {things} visible"

    return probe


def slack_probe(settings: Settings) -> Probe:
    """Slack's `auth.test` with the bot token."""

    def probe() -> str:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        client = WebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=10,
        )
        try:
            answer = client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown error") if exc.response is not None else str(exc)
            raise BotError(f"Slack rejected the bot token ({error})") from exc
        except OSError as exc:
            raise BotError(f"Slack is unreachable at {settings.slack_api_url} ({exc})") from exc
        return f"team {answer.get('team')}, bot user {answer.get('user_id')}"

    return probe


def socket_mode_probe(settings: Settings) -> Probe | None:
    """Slack's `apps.connections.open` with the app-level token (a URL is issued, nothing connects);
    None when SLACK_APP_TOKEN is unset (HTTP mode)."""
    if settings.slack_app_token is None:
        return None
    app_token = settings.slack_app_token.get_secret_value()

    def probe() -> str:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        client = WebClient(base_url=settings.slack_api_url, timeout=10)
        try:
            client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown error") if exc.response is not None else str(exc)
            raise BotError(
                f"Slack refused SLACK_APP_TOKEN ({error}); Socket Mode needs an app-level token (xapp-…) "
                "with the connections:write scope"
            ) from exc
        except OSError as exc:
            raise BotError(f"Slack is unreachable at {settings.slack_api_url} ({exc})") from exc
        return "apps.connections.open issued a connection URL"

    return probe
