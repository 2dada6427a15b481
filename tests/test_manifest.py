"""`manifest.yaml` agrees with the code: the command, the request URL, the interactive ids and the scopes.

The scopes are derived from the source: every Slack Web API method the bot calls (a `"chat.postMessage"`
string, a WebClient method such as `.views_open(`, or Bolt's `say(`) is mapped to the scopes it needs with
the table below, and the manifest must list exactly the union of those.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from slack_sdk import WebClient

from bot.config import Settings
from bot.domain import Assignment, Incident, Severity, State, Status
from bot.slack import blocks
from bot.slack.ids import DEFAULT_SLASH_COMMAND, ActionId, CallbackId
from bot.web import SLACK_EVENTS_PATH

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yaml"
BOT_SOURCE = ROOT / "bot"
NOT_THE_BOTS_CALLS = ("sandbox", "demo", "coralogix/pb")
"""The Slack sandbox and the demo play Slack's side (they serve Web API methods, not call them)."""

COMMANDS_SCOPE = "commands"
CHANNEL_HISTORY = frozenset({"channels:history", "groups:history"})
"""Cards live in public and private channels; history of DMs (im:/mpim:) is never read."""
CHANNEL_MEMBERSHIP = frozenset({"channels:read", "groups:read"})
"""users.conversations for public and private channels only (`types=public_channel,private_channel`)."""
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
    "link_shared": frozenset({"links:read"}),
}
"""The bot events the code may listen to, and the scopes Slack wants for each subscription."""

METHOD_SCOPES: dict[str, frozenset[str]] = {
    # Socket Mode: called with the app-level token, whose own scope is connections:write (no bot scope)
    "apps.connections.open": frozenset(),
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "conversations.history": CHANNEL_HISTORY,
    "conversations.replies": CHANNEL_HISTORY,
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.join": frozenset({"channels:join"}),
    # war rooms are public channels the bot creates, fills and archives (private ones need groups:write)
    "conversations.create": frozenset({"channels:manage"}),
    "conversations.invite": frozenset({"channels:manage"}),
    "conversations.archive": frozenset({"channels:manage"}),
    # the bot reads profile.email from users.info, which needs users:read.email on top of users:read
    "users.info": frozenset({"users:read", "users:read.email"}),
    # Slack: users:read.email "must be requested at the same time as users:read"
    "users.lookupByEmail": frozenset({"users:read", "users:read.email"}),
    "users.list": frozenset({"users:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "users.profile.get": frozenset({"users.profile:read"}),
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    "chat.unfurl": frozenset({"links:write"}),
    "users.conversations": CHANNEL_MEMBERSHIP,
    "reactions.add": frozenset({"reactions:write"}),
    "reactions.remove": frozenset({"reactions:write"}),
    "usergroups.list": frozenset({"usergroups:read"}),
    "team.info": frozenset({"team:read"}),
}

_API_FAMILIES = (
    "admin|apps|assistant|auth|bookmarks|bots|calls|canvases|chat|conversations|dialog|dnd|emoji|files|"
    "pins|reactions|reminders|search|stars|team|usergroups|users|views|workflows"
)
_METHOD_STRING = re.compile(rf"""["']((?:{_API_FAMILIES})(?:\.[A-Za-z]+)+)["']""")
_CLIENT_CALL = re.compile(rf"\.((?:{_API_FAMILIES})_[A-Za-z_]+)\(")
_BOLT_SAY = re.compile(r"\bsay\(")
_BOLT_EVENT = re.compile(r"""\.event\(\s*["']([a-z_]+)["']""")


def _manifest() -> dict[str, Any]:
    document = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _bot_sources() -> Iterator[tuple[Path, str]]:
    for path in sorted(BOT_SOURCE.rglob("*.py")):
        relative = path.relative_to(BOT_SOURCE).as_posix()
        if not relative.startswith(NOT_THE_BOTS_CALLS):
            yield path, path.read_text(encoding="utf-8")


def _web_client_method(attribute: str) -> str | None:
    """`views_open` -> `views.open`, only for a real WebClient method (not one of our own names)."""
    if not callable(getattr(WebClient, attribute, None)):
        return None
    return attribute.replace("_", ".")


def methods_in(text: str) -> set[str]:
    """The Web API methods one source file calls."""
    names = set(_METHOD_STRING.findall(text))
    names |= {m for a in _CLIENT_CALL.findall(text) if (m := _web_client_method(a)) is not None}
    if _BOLT_SAY.search(text):
        names.add("chat.postMessage")
    return names


def called_methods() -> dict[str, set[str]]:
    """Every Web API method the bot's source calls, with the files that call it."""
    found: dict[str, set[str]] = {}
    for path, text in _bot_sources():
        for name in methods_in(text):
            found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def subscribed_events() -> set[str]:
    return {event for _, text in _bot_sources() for event in _BOLT_EVENT.findall(text)}


def needed_scopes() -> set[str]:
    manifest = _manifest()
    scopes: set[str] = set()
    for method in called_methods():
        scopes |= METHOD_SCOPES[method]
    for event in subscribed_events():
        scopes |= EVENT_SCOPES[event]
    if manifest.get("features", {}).get("slash_commands"):
        scopes.add(COMMANDS_SCOPE)
    return scopes


def _bot_scopes() -> list[str]:
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]
    assert isinstance(scopes, list)
    return scopes


# ---------------------------------------------------------------------------------------------- command


def test_the_manifest_declares_the_command_the_bot_answers() -> None:
    commands = _manifest()["features"]["slash_commands"]
    assert [command["command"] for command in commands] == [DEFAULT_SLASH_COMMAND]
    assert Settings.model_fields["bot_slash_command"].default == DEFAULT_SLASH_COMMAND


def test_the_command_is_described_within_slacks_limits() -> None:
    (command,) = _manifest()["features"]["slash_commands"]
    assert 2 <= len(command["command"]) <= 32
    assert 1 <= len(command["description"]) <= 2000
    assert 1 <= len(command["usage_hint"]) <= 1000
    for verb in ("help", "list", "show", "ack", "resolve", "close", "assign", "unassign", "stats", "connect"):
        assert verb in command["usage_hint"].split(), verb
    # mentions arrive as <@U…|name>, so `assign ID @user` names a user ID rather than a display name
    assert command["should_escape"] is True


def test_display_information_fits_slacks_limits() -> None:
    manifest = _manifest()
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert manifest["features"]["bot_user"]["display_name"]


# ---------------------------------------------------------------------------------------------- request URL


def _request_urls(manifest: dict[str, Any]) -> list[str]:
    urls = [command["url"] for command in manifest["features"]["slash_commands"]]
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    events = manifest["settings"].get("event_subscriptions")
    if events:
        urls.append(events["request_url"])
    return urls


def test_every_request_url_is_the_path_the_bot_serves() -> None:
    urls = _request_urls(_manifest())
    assert len(set(urls)) == 1, "the command, interactivity and events share one request URL"
    parts = urlsplit(urls[0])
    assert parts.scheme == "https"
    assert parts.path == SLACK_EVENTS_PATH
    assert not parts.query


def test_http_mode_is_the_default() -> None:
    settings = _manifest()["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False


# ---------------------------------------------------------------------------------------------- ids


def _incident(status: Status, assignee: str | None, *, closed: bool = False) -> Incident:
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return Incident(
        id="inc-1",
        name="checkout 5xx",
        severity=Severity.CRITICAL,
        status=status,
        state=State.TRIGGERED,
        created_at=at,
        closed_at=at if closed else None,
        assignments=(Assignment(assigned_to=assignee),) if assignee else (),
    )


def _action_ids(value: object) -> set[str]:
    if isinstance(value, dict):
        own = {value["action_id"]} if "action_id" in value else set()
        return own.union(*(_action_ids(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_action_ids(item) for item in value))
    return set()


def test_every_interactive_id_the_builders_emit_is_declared_in_ids() -> None:
    emitted: set[str] = set()
    for status in (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED):
        for assignee in (None, "bob@example.com"):
            for closed, in_room in itertools.product((False, True), (False, True)):
                incident = _incident(status, assignee, closed=closed)
                card = blocks.incident_card(incident, team_url="https://t.example.com", in_room=in_room)
                emitted |= _action_ids(card.blocks)
    modals = [blocks.incident_details_modal(_incident(Status.TRIGGERED, None), []), blocks.connect_modal()]
    callback_ids = {modal["callback_id"] for modal in modals}

    assert emitted <= {action.value for action in ActionId}
    assert emitted >= {action.value for action in ActionId}, "an ActionId no card ever shows"
    assert callback_ids == {callback.value for callback in CallbackId}
    interactivity = _manifest()["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True


def test_ids_are_distinct_and_within_slacks_limits() -> None:
    ids = [action.value for action in ActionId] + [callback.value for callback in CallbackId]
    assert len(ids) == len(set(ids))
    assert all(0 < len(value) <= 255 for value in ids)


def test_shortcut_callback_ids_if_any_are_declared_in_ids() -> None:
    shortcuts = _manifest()["features"].get("shortcuts") or []
    assert {shortcut["callback_id"] for shortcut in shortcuts} <= {c.value for c in CallbackId}


# ---------------------------------------------------------------------------------------------- scopes


def test_the_scan_finds_the_methods_the_gateway_is_known_to_call() -> None:
    """Guards the scanner itself: if it finds nothing, the scope checks below prove nothing."""
    methods = called_methods()
    assert {"chat.postMessage", "chat.update", "conversations.history", "users.lookupByEmail"} <= set(methods)
    assert "bot/slack/gateway/messages.py" in methods["chat.postMessage"]


def test_every_called_method_has_known_scopes() -> None:
    unknown = {method: sorted(files) for method, files in called_methods().items()}
    unknown = {method: files for method, files in unknown.items() if method not in METHOD_SCOPES}
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES: {unknown}"


def test_the_manifest_grants_every_scope_the_code_needs() -> None:
    missing = needed_scopes() - set(_bot_scopes())
    assert not missing, f"manifest.yaml lacks bot scopes {sorted(missing)}"


def test_the_manifest_asks_for_no_scope_the_code_does_not_need() -> None:
    extra = set(_bot_scopes()) - needed_scopes()
    assert not extra, f"manifest.yaml asks for bot scopes no called method needs: {sorted(extra)}"


def test_scopes_are_listed_once() -> None:
    scopes = _bot_scopes()
    assert len(scopes) == len(set(scopes))
    assert "user" not in _manifest()["oauth_config"]["scopes"], "the bot needs no user token"


def test_subscribed_events_match_the_events_the_code_listens_to() -> None:
    declared = set(_manifest()["settings"].get("event_subscriptions", {}).get("bot_events", []))
    assert declared == subscribed_events()


def test_the_scan_finds_the_events_the_bot_listens_to() -> None:
    """Guards the event scanner: the Home tab and unfurls are registered with `app.event("…")`."""
    assert subscribed_events() == {"app_home_opened", "link_shared"}
    assert subscribed_events() <= set(EVENT_SCOPES), "add the event and its scopes to EVENT_SCOPES"


def test_the_home_tab_is_on_and_unfurl_domains_are_hosts() -> None:
    features = _manifest()["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    domains = features["unfurl_domains"]
    assert 1 <= len(domains) <= 5  # Slack's limit
    for domain in domains:
        assert "/" not in domain and ":" not in domain and domain == domain.lower(), domain


SAMPLE_SOURCE = """
def on_command(ack, say, client, respond):
    ack()
    say(text="working on it")
    client.views_open(trigger_id=trigger, view=view)
    client.chat_postEphemeral(channel=c, user=u, text=t)
    gateway.user_email(user_id)  # our own method, not a Web API call
    respond("done")  # a response_url, no Web API method
    client.api_call("reactions.add", json=params)
"""


def test_the_scanner_reads_strings_client_methods_and_say() -> None:
    assert methods_in(SAMPLE_SOURCE) == {
        "chat.postMessage",
        "views.open",
        "chat.postEphemeral",
        "reactions.add",
    }


@pytest.mark.parametrize(
    ("attribute", "method"),
    [
        ("views_open", "views.open"),
        ("chat_postEphemeral", "chat.postEphemeral"),
        ("users_lookupByEmail", "users.lookupByEmail"),
        ("user_email", None),
    ],
)
def test_web_client_calls_map_to_method_names(attribute: str, method: str | None) -> None:
    assert _web_client_method(attribute) == method
