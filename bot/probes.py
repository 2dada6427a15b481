"""Cheap calls that tell whether Slack and Coralogix accept our credentials (`incident-bot check`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.check import ChannelReport
from bot.config import Settings
from bot.errors import BotError

if TYPE_CHECKING:
    from slack_sdk import WebClient

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
        answer = _auth_test(_bot_client(settings), settings)
        return f"team {answer.get('team')}, bot user {answer.get('user_id')}"

    return probe


def routed_channels(settings: Settings) -> dict[str, list[str]]:
    """Every channel incidents may be posted to, with what names it: its routes, BOT_DEFAULT_CHANNEL."""
    channels: dict[str, list[str]] = {}
    for route in settings.routing.routes:
        for channel in route.channels:
            channels.setdefault(channel, []).append(f"route {route.name}")
    if settings.bot_default_channel is not None:
        channels.setdefault(settings.bot_default_channel, []).append("BOT_DEFAULT_CHANNEL")
    return channels


def channels_probe(settings: Settings) -> Callable[[], ChannelReport] | None:
    """conversations.info of each routed channel: is the bot in it? None when no channel is named."""
    channels = routed_channels(settings)
    if not channels:
        return None

    def probe() -> ChannelReport:
        from slack_sdk.errors import SlackApiError

        client = _bot_client(settings)
        invite = f"/invite @{_auth_test(client, settings).get('user') or 'the bot'}"
        fine: list[str] = []
        problems: list[str] = []
        for channel, named_by in channels.items():
            where = f"Slack channel {channel} ({', '.join(named_by)})"
            try:
                info: Mapping[str, Any] = client.conversations_info(channel=channel).get("channel") or {}
            except SlackApiError as exc:
                problems.append(f"{where}: {_unseen(_slack_error(exc), invite)}")
                continue
            except OSError as exc:
                raise BotError(f"Slack is unreachable at {settings.slack_api_url} ({exc})") from exc
            name = f"#{info.get('name') or channel}"
            if info.get("is_archived"):
                problems.append(
                    f"{where}: {name} is archived, so nothing can be posted there; route elsewhere"
                )
            elif not info.get("is_member"):
                problems.append(f"{where}: the bot is not in {name}; type {invite} in {name}")
            else:
                fine.append(name)
        return ChannelReport(fine=tuple(fine), problems=tuple(problems))

    return probe


def _unseen(error: str, invite: str) -> str:
    """Why conversations.info found no channel, and what to do."""
    if error == "channel_not_found":
        return (
            "the bot cannot see it (channel_not_found): the ID is wrong, or the channel is private and the "
            f"bot is not in it; check the ID, or type {invite} in the channel"
        )
    if error == "missing_scope":
        return "the app lacks channels:read or groups:read (missing_scope); reinstall it from manifest.yaml"
    return f"Slack refused conversations.info ({error})"


def _bot_client(settings: Settings) -> WebClient:
    from slack_sdk import WebClient

    return WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url, timeout=10
    )


def _auth_test(client: WebClient, settings: Settings) -> Mapping[str, Any]:
    """auth.test with the bot token; a refusal or no answer is a `BotError` naming why."""
    from slack_sdk.errors import SlackApiError

    try:
        data = client.auth_test().data
    except SlackApiError as exc:
        raise BotError(f"Slack rejected the bot token ({_slack_error(exc)})") from exc
    except OSError as exc:
        raise BotError(f"Slack is unreachable at {settings.slack_api_url} ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _slack_error(exc: Any) -> str:
    """Slack's error code of a `SlackApiError`."""
    return str(exc.response.get("error", "unknown error")) if exc.response is not None else str(exc)


def queue_probe(settings: Settings) -> Callable[[], dict[str, int]]:
    """Slack work queued per channel in the bot's database (what the senders have yet to send)."""

    def probe() -> dict[str, int]:
        from pathlib import Path

        from sqlalchemy.engine import make_url

        from bot.store import Store

        url = make_url(settings.bot_database_url)
        if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
            return {}  # no database yet: nothing queued (and `check` makes none)
        store = Store.from_url(settings.bot_database_url)
        try:
            return store.depth_by_channel()
        finally:
            store.close()

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
            raise BotError(
                f"Slack refused SLACK_APP_TOKEN ({_slack_error(exc)}); Socket Mode needs an app-level token "
                "(xapp-…) with the connections:write scope"
            ) from exc
        except OSError as exc:
            raise BotError(f"Slack is unreachable at {settings.slack_api_url} ({exc})") from exc
        return "apps.connections.open issued a connection URL"

    return probe
