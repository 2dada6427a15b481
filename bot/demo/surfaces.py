"""The demo's Home tab and link unfurls, Slack's side: a person opens the Home tab or posts a message with
an incident link (Slack sends the app `app_home_opened` / `link_shared`), and clicks there (Slack sends a
`block_actions` from a `view` container, or from the app's unfurl under someone's message)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.demo.payloads import Actor, JsonObject, block_actions_payload
from bot.sandbox.slack import SlackWorkspace
from bot.sandbox.slack.envelopes import event_callback
from bot.sandbox.slack.events import app_home_opened, link_shared
from bot.sandbox.slack.render import message_json, view_json


class SurfaceError(ValueError):
    """The page asked about a Home tab or an unfurl that is not there."""


def home_opened(workspace: SlackWorkspace, user_id: str) -> JsonObject:
    """The Events API payload Slack sends when `user_id` opens the app's Home tab."""
    return event_callback(workspace.team_id, workspace.app_id, app_home_opened(workspace, user_id))


def posted(
    workspace: SlackWorkspace, user_id: str, channel_id: str, text: str, domains: Sequence[str]
) -> JsonObject | None:
    """Post a person's message; the `link_shared` payload for its links on the app's domains, if any."""
    message = workspace.post_message(channel_id, text=text, blocks=[], metadata=None, user=user_id)
    event = link_shared(workspace, message, domains)
    return event_callback(workspace.team_id, workspace.app_id, event) if event is not None else None


def home_click(workspace: SlackWorkspace, actor: Actor, action: JsonObject, trigger_id: str) -> JsonObject:
    """A click on the person's Home tab, as the tab was last published."""
    current = workspace.homes.current(actor.user_id)
    if current is None:
        raise SurfaceError("the bot has not published a Home tab for you yet")
    return block_actions_payload(
        actor,
        action=action,
        trigger_id=trigger_id,
        container={"type": "view", "view_id": current.id},
        view=view_json(workspace, current),
    )


def unfurl_click(
    workspace: SlackWorkspace,
    actor: Actor,
    action: JsonObject,
    trigger_id: str,
    *,
    channel_id: str,
    message_ts: str,
    url: str,
) -> JsonObject:
    """A click under the app's unfurl of `url` in a person's message."""
    try:
        message = workspace.message(channel_id, message_ts)
    except KeyError:
        raise SurfaceError(f"no message {message_ts} in {channel_id}") from None
    if url not in message.unfurls:
        raise SurfaceError("that link has no preview from the app")
    number = list(message.unfurls).index(url) + 1
    return block_actions_payload(
        actor,
        action=action,
        trigger_id=trigger_id,
        container={
            "type": "message_attachment",
            "message_ts": message_ts,
            "attachment_id": number,
            "channel_id": channel_id,
            "is_ephemeral": False,
            "is_app_unfurl": True,
            "app_unfurl_url": url,
        },
        channel={"id": channel_id},
        message=message_json(workspace, message, include_metadata=False),
        response_url=workspace.new_response_url(
            channel=channel_id, message_ts=message_ts, user=actor.user_id
        ),
    )
