"""The sandbox's records in the JSON shapes Slack's Web API returns."""

from __future__ import annotations

from bot.sandbox.slack.models import JsonObject, OpenView, SlackChannel, SlackMessage, SlackUser
from bot.sandbox.slack.workspace import SlackWorkspace


def message_json(workspace: SlackWorkspace, message: SlackMessage, *, include_metadata: bool) -> JsonObject:
    """A message as in chat.postMessage's `message` and conversations.history's `messages`."""
    shaped: JsonObject = {
        "type": "message",
        "user": message.user,
        "bot_id": workspace.bot_id,
        "app_id": workspace.app_id,
        "text": message.text,
        "ts": message.ts,
        "team": workspace.team_id,
    }
    if message.user != workspace.bot_user_id:  # a person's message
        del shaped["bot_id"], shaped["app_id"]
    if message.unfurls:
        shaped["attachments"] = unfurl_attachments(message)
    if message.blocks:
        shaped["blocks"] = message.blocks
    if include_metadata and message.metadata is not None:
        shaped["metadata"] = message.metadata
    if message.thread_ts is not None:
        shaped["thread_ts"] = message.thread_ts
        shaped["parent_user_id"] = workspace.bot_user_id
        if message.reply_broadcast:
            shaped["subtype"] = "thread_broadcast"
    else:
        summary = workspace.thread_summary(message.channel, message.ts)
        if summary is not None:
            shaped.update(
                thread_ts=message.ts,
                reply_count=summary.reply_count,
                reply_users_count=len(summary.reply_users),
                reply_users=summary.reply_users,
                latest_reply=summary.latest_reply,
            )
    if message.edited:
        shaped["edited"] = {"user": message.user, "ts": message.edited_ts}
    return shaped


def unfurl_attachments(message: SlackMessage) -> list[JsonObject]:
    """The app's unfurls as Slack shows them: one attachment per link, marked as the app's."""
    return [
        {"id": number, "app_unfurl_url": url, "is_app_unfurl": True, "from_url": url, **unfurl}
        for number, (url, unfurl) in enumerate(message.unfurls.items(), start=1)
    ]


def channel_json(channel: SlackChannel) -> JsonObject:
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_im,
        "is_group": False,
        "is_im": channel.is_im,
        "is_private": channel.is_im,
        "is_archived": channel.is_archived,
        "is_general": False,
        "is_member": channel.is_member,
        "created": channel.created,
        "name_normalized": channel.name,
    }


def user_json(workspace: SlackWorkspace, user: SlackUser) -> JsonObject:
    real_name = user.real_name or user.name
    profile: JsonObject = {
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        "team": workspace.team_id,
    }
    if user.email is not None:
        profile["email"] = user.email
    return {
        "id": user.id,
        "team_id": workspace.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": real_name,
        "tz": user.tz,
        "tz_label": user.tz_label,
        "tz_offset": user.tz_offset,
        "is_bot": user.is_bot,
        "is_admin": False,
        "is_restricted": user.is_restricted,
        "is_ultra_restricted": user.is_ultra_restricted,
        "is_email_confirmed": user.is_email_confirmed,
        "profile": profile,
    }


def view_json(workspace: SlackWorkspace, opened: OpenView) -> JsonObject:
    shaped: JsonObject = {
        "state": {"values": {}},
        "private_metadata": "",
        "callback_id": "",
        "clear_on_close": False,
        "notify_on_close": False,
        **opened.view,
    }
    shaped.update(
        id=opened.id,
        team_id=workspace.team_id,
        hash=opened.hash,
        root_view_id=opened.root_view_id,
        previous_view_id=opened.previous_view_id,
        external_id=opened.external_id or "",
        app_id=workspace.app_id,
        bot_id=workspace.bot_id,
        app_installed_team_id=workspace.team_id,
    )
    return shaped
