"""A plain JSON picture of the sandbox workspace, for `GET /sandbox/state` and the demo page."""

from __future__ import annotations

from dataclasses import asdict

from bot.sandbox.slack.models import JsonObject, SlackMessage
from bot.sandbox.slack.workspace import SlackWorkspace


def workspace_state(workspace: SlackWorkspace) -> JsonObject:
    """Channels with their messages and threads, ephemerals, views, users and response_url bodies."""
    return {
        "team_id": workspace.team_id,
        "bot_user_id": workspace.bot_user_id,
        "channels": [
            {
                "id": channel.id,
                "name": channel.name,
                "is_im": channel.is_im,
                "is_archived": channel.is_archived,
                "members": list(channel.members),
                "messages": [_message_with_thread(workspace, m) for m in workspace.messages(channel.id)],
            }
            for channel in workspace.channels()
        ],
        "ephemerals": [asdict(ephemeral) for ephemeral in workspace.ephemerals()],
        "views": [asdict(view) for view in workspace.views()],
        "users": [asdict(user) for user in workspace.users()],
        "responses": workspace.responses(),
        "call_count": len(workspace.calls),
    }


def _message_with_thread(workspace: SlackWorkspace, message: SlackMessage) -> JsonObject:
    shaped = asdict(message)
    shaped["replies"] = [asdict(reply) for reply in workspace.replies(message.channel, message.ts)]
    return shaped
