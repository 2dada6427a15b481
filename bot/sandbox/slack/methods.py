"""The Web API methods the sandbox answers: decoded params in, Slack's response body (minus "ok") out."""

from __future__ import annotations

from collections.abc import Callable

from bot.sandbox.slack import conversations, render
from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject, SlackMessage
from bot.sandbox.slack.timestamps import decode_cursor, encode_cursor, is_valid_ts, ts_value
from bot.sandbox.slack.validation import (
    MAX_MESSAGE_BLOCKS,
    block_problems,
    message_blocks,
    message_metadata,
    message_text,
    modal_view,
    parse_bool,
    parse_json_param,
)
from bot.sandbox.slack.workspace import SlackWorkspace

Method = Callable[[SlackWorkspace, JsonObject], JsonObject]

HISTORY_DEFAULT_LIMIT = 100
REPLIES_DEFAULT_LIMIT = 1000
MAX_PAGE = 999


def auth_test(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    return {
        "url": f"{workspace.base_url}/",
        "team": "Sandbox",
        "user": workspace.user(workspace.bot_user_id).name,
        "team_id": workspace.team_id,
        "user_id": workspace.bot_user_id,
        "bot_id": workspace.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """A Socket Mode URL; called with the app-level token (see `APP_TOKEN_METHODS`)."""
    return {"url": workspace.socket_mode_url()}


def chat_post_message(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel = workspace.resolve_channel(params.get("channel"))
    text, blocks = _content(params)
    thread_ts = params.get("thread_ts")
    message = workspace.post_message(
        channel.id,
        text=text or "",
        blocks=blocks or [],
        metadata=message_metadata(params),
        thread_ts=str(thread_ts) if thread_ts else None,
        reply_broadcast=parse_bool(params.get("reply_broadcast", False)),
    )
    return {
        "channel": channel.id,
        "ts": message.ts,
        "message": render.message_json(workspace, message, include_metadata=True),
    }


def chat_update(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel = workspace.resolve_channel(params.get("channel"))
    ts = _required(params, "ts")
    text, blocks = _content(params)
    message = workspace.update_message(
        channel.id,
        ts,
        text=text if "text" in params else None,
        blocks=blocks,
        metadata=message_metadata(params),
    )
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": render.message_json(workspace, message, include_metadata=True),
    }


def chat_delete(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel = workspace.resolve_channel(params.get("channel"))
    ts = _required(params, "ts")
    workspace.delete_message(channel.id, ts)
    return {"channel": channel.id, "ts": ts}


def chat_post_ephemeral(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel = workspace.resolve_channel(params.get("channel"))
    text, blocks = _content(params)
    thread_ts = params.get("thread_ts")
    ephemeral = workspace.post_ephemeral(
        channel=channel.id,
        user=str(params.get("user") or ""),
        text=text or "",
        blocks=blocks or [],
        thread_ts=str(thread_ts) if thread_ts else None,
    )
    return {"message_ts": ephemeral.message_ts}


def chat_get_permalink(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel = workspace.resolve_channel(params.get("channel"))
    ts = _required(params, "message_ts")
    try:
        message = workspace.message(channel.id, ts)
    except KeyError:
        raise SlackMethodError("message_not_found") from None
    permalink = f"{workspace.base_url}/archives/{channel.id}/p{ts.replace('.', '')}"
    if message.thread_ts is not None:
        permalink += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": permalink}


def conversations_history(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """Newest first, between `oldest` and `latest`, a page of `limit` with a cursor to the rest."""
    channel = workspace.resolve_channel(params.get("channel"))
    inclusive = parse_bool(params.get("inclusive", False))
    oldest = _bound(params, "oldest")
    latest = _bound(params, "latest")
    in_range = [
        message
        for message in reversed(workspace.channel_history(channel.id))
        if (oldest is None or _after(message.ts, oldest, inclusive))
        and (latest is None or _after(latest, message.ts, inclusive))
    ]
    page, next_ts = _page(in_range, params, HISTORY_DEFAULT_LIMIT, newest_first=True)
    return _paged(workspace, page, next_ts, params, key="messages") | {"pin_count": 0}


def conversations_replies(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """The parent and its replies, oldest first, paged like history."""
    channel = workspace.resolve_channel(params.get("channel"))
    ts = str(params.get("ts") or "")
    if not is_valid_ts(ts):
        raise SlackMethodError("thread_not_found")
    page, next_ts = _page(workspace.thread(channel.id, ts), params, REPLIES_DEFAULT_LIMIT, newest_first=False)
    return _paged(workspace, page, next_ts, params, key="messages")


def conversations_info(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    return {"channel": render.channel_json(workspace.resolve_channel(params.get("channel")))}


def conversations_join(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    channel, already = workspace.join(workspace.resolve_channel(params.get("channel")).id)
    answer: JsonObject = {"channel": render.channel_json(channel)}
    if already:
        answer["warning"] = "already_in_channel"
        answer["response_metadata"] = {"warnings": ["already_in_channel"]}
    return answer


def users_info(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    return {"user": render.user_json(workspace, workspace.user(str(params.get("user") or "")))}


def usergroups_users_list(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    group = str(params.get("usergroup") or "")
    if not group:
        raise SlackMethodError("invalid_arguments", ["[ERROR] missing required field: usergroup"])
    return {"users": workspace.usergroup_members(group)}


def users_lookup_by_email(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    email = str(params.get("email") or "")
    if not email:
        raise SlackMethodError("invalid_arguments", ["[ERROR] missing required field: email"])
    return {"user": render.user_json(workspace, workspace.user_by_email(email))}


def views_open(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    return _open_view(workspace, params, "views.open")


def views_push(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    return _open_view(workspace, params, "views.push")


def views_update(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    view = modal_view(params)
    view_id = params.get("view_id")
    external_id = params.get("external_id")
    if not view_id and not external_id:
        raise SlackMethodError("invalid_arguments", ["[ERROR] view_id or external_id is required"])
    updated = workspace.update_view(
        view,
        view_id=str(view_id) if view_id else None,
        external_id=str(external_id) if external_id else None,
        view_hash=str(params["hash"]) if params.get("hash") else None,
    )
    return {"view": render.view_json(workspace, updated)}


def views_publish(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """A person's Home tab, replaced as a whole (the view must be of type `home`)."""
    view = modal_view(params)
    if view.get("type") != "home":
        raise SlackMethodError("invalid_arguments", ["[ERROR] must be home [json-pointer:/view/type]"])
    user = workspace.user(_required(params, "user_id"))
    view_hash = params.get("hash")
    published = workspace.homes.publish(user.id, view, view_hash=str(view_hash) if view_hash else None)
    return {"view": render.view_json(workspace, published)}


def chat_unfurl(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """Previews for links of a person's message, by `channel` and `ts` (or `unfurl_id` and `source`)."""
    if params.get("unfurl_id") or params.get("source"):
        raise SlackMethodError("invalid_arguments", ["[ERROR] the sandbox unfurls by channel and ts only"])
    channel = workspace.resolve_channel(params.get("channel"))
    ts = _required(params, "ts")
    try:
        unfurls = parse_json_param(params.get("unfurls"))
    except ValueError:
        raise SlackMethodError("invalid_unfurls") from None
    if not isinstance(unfurls, dict) or not unfurls:
        raise SlackMethodError("invalid_unfurls")
    problems: list[str] = []
    for url, unfurl in unfurls.items():
        if not isinstance(unfurl, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:/unfurls/{url}]")
        elif "blocks" in unfurl:
            problems += block_problems(unfurl["blocks"], limit=MAX_MESSAGE_BLOCKS, pointer=f"/unfurls/{url}")
    if problems:
        raise SlackMethodError("invalid_unfurls", problems)
    workspace.unfurl(channel.id, ts, unfurls)
    return {}


def users_conversations(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    """The channels a person is in (public ones, and private ones the bot is in too), paged by `cursor`."""
    user = workspace.user(_required(params, "user"))
    joined = [c for c in workspace.channels() if not c.is_im and user.id in c.members]
    try:
        limit = max(1, min(MAX_PAGE, int(params.get("limit") or HISTORY_DEFAULT_LIMIT)))
        start = int(params.get("cursor") or 0)
    except (TypeError, ValueError):
        raise SlackMethodError("invalid_cursor") from None
    page = joined[start : start + limit]
    more = start + limit < len(joined)
    return {
        "channels": [render.channel_json(channel) for channel in page],
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


METHODS: dict[str, Method] = {
    "apps.connections.open": apps_connections_open,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "conversations.create": conversations.create,
    "conversations.invite": conversations.invite,
    "conversations.archive": conversations.archive,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "usergroups.users.list": usergroups_users_list,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "chat.unfurl": chat_unfurl,
    "users.conversations": users_conversations,
}

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
"""Methods Slack answers only for an app-level token (`xapp-…`)."""


def _open_view(workspace: SlackWorkspace, params: JsonObject, method: str) -> JsonObject:
    trigger_id = params.get("trigger_id") or params.get("interactivity_pointer")
    if not trigger_id:
        raise SlackMethodError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
    opened = workspace.open_view(method, modal_view(params), trigger_id=str(trigger_id))
    return {"view": render.view_json(workspace, opened)}


def _content(params: JsonObject) -> tuple[str | None, list[JsonObject] | None]:
    """Text and blocks of a message; Slack wants at least one of them."""
    blocks = message_blocks(params)
    text = message_text(params) if params.get("text") is not None else None
    if not text and not blocks:
        raise SlackMethodError("no_text")
    return text, blocks


def _required(params: JsonObject, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise SlackMethodError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
    return str(value)


def _bound(params: JsonObject, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not is_valid_ts(str(value)):
        raise SlackMethodError(f"invalid_ts_{name}")
    return str(value)


def _after(later: str, earlier: str, inclusive: bool) -> bool:
    return ts_value(later) >= ts_value(earlier) if inclusive else ts_value(later) > ts_value(earlier)


def _page(
    messages: list[SlackMessage], params: JsonObject, default_limit: int, *, newest_first: bool
) -> tuple[list[SlackMessage], str | None]:
    """One page starting at the cursor's ts, and the ts the next page starts at (None at the end)."""
    try:
        limit = max(1, min(MAX_PAGE, int(params.get("limit") or default_limit)))
    except (TypeError, ValueError):
        raise SlackMethodError("invalid_limit") from None
    cursor = params.get("cursor")
    if cursor:
        start_ts = decode_cursor(str(cursor))
        if start_ts is None:
            raise SlackMethodError("invalid_cursor")
        start = ts_value(start_ts)
        messages = [
            m for m in messages if (ts_value(m.ts) <= start if newest_first else ts_value(m.ts) >= start)
        ]
    page = messages[:limit]
    next_ts = messages[limit].ts if len(messages) > limit else None
    return page, next_ts


def _paged(
    workspace: SlackWorkspace, page: list[SlackMessage], next_ts: str | None, params: JsonObject, *, key: str
) -> JsonObject:
    include_metadata = parse_bool(params.get("include_all_metadata", False))
    answer: JsonObject = {
        key: [render.message_json(workspace, m, include_metadata=include_metadata) for m in page],
        "has_more": next_ts is not None,
    }
    if next_ts is not None:
        answer["response_metadata"] = {"next_cursor": encode_cursor(next_ts)}
    return answer
