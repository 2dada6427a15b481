"""conversations.create, .invite and .archive: the channels the bot opens for war rooms.

Slack's rules, as its API answers them: a channel name is at most 80 characters of lower-case letters,
digits, hyphens and underscores, not only punctuation, and unique in the workspace (archived channels
keep theirs); each method needs the `channels:manage` scope for public channels (`missing_scope`).
"""

from __future__ import annotations

import re

from bot.sandbox.slack import render
from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject
from bot.sandbox.slack.validation import parse_bool
from bot.sandbox.slack.workspace import SlackWorkspace

MAX_NAME = 80
MANAGE_SCOPE = "channels:manage"
_ALLOWED = re.compile(r"[a-z0-9_-]+")
_MEANINGFUL = re.compile(r"[a-z0-9]")


def create(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    _require_scope(workspace)
    if parse_bool(params.get("is_private", False)):
        raise SlackMethodError("missing_scope")  # private channels need groups:write, which the bot lacks
    name = str(params.get("name") or "")
    problem = name_problem(name)
    if problem is not None:
        raise SlackMethodError(problem)
    channel = workspace.create_channel(name, creator=workspace.bot_user_id)
    return {"channel": render.channel_json(channel) | {"creator": channel.creator}}


def invite(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    _require_scope(workspace)
    channel = workspace.resolve_channel(params.get("channel"))
    users = [user.strip() for user in str(params.get("users") or "").split(",") if user.strip()]
    if not users:
        raise SlackMethodError("no_user")
    invited = workspace.invite(channel.id, users, force=parse_bool(params.get("force", False)))
    return {"channel": render.channel_json(invited)}


def archive(workspace: SlackWorkspace, params: JsonObject) -> JsonObject:
    _require_scope(workspace)
    channel = workspace.resolve_channel(params.get("channel"))
    workspace.archive(channel.id)
    return {}


def name_problem(name: str) -> str | None:
    """Slack's error for a channel name it would refuse, or None."""
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_NAME:
        return "invalid_name_maxlength"
    if not _ALLOWED.fullmatch(name):
        return "invalid_name_specials"
    if not _MEANINGFUL.search(name):
        return "invalid_name_punctuation"
    return None


def _require_scope(workspace: SlackWorkspace) -> None:
    if MANAGE_SCOPE not in workspace.scopes:
        raise SlackMethodError("missing_scope")
