"""conversations.create, .invite and .archive as Slack answers them, through a real slack_sdk client."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackWorkspace


def _refused(run: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        run()  # type: ignore[operator]
    return str(caught.value.response["error"])


def test_a_created_channel_is_public_has_the_bot_and_takes_messages(
    client: WebClient, workspace: SlackWorkspace
) -> None:
    channel = client.conversations_create(name="inc-2026-12-03-checkout")["channel"]
    assert channel["name"] == "inc-2026-12-03-checkout"
    assert channel["is_private"] is False and channel["is_member"] is True and channel["is_archived"] is False
    client.chat_postMessage(channel=channel["id"], text="hello")
    assert [m.text for m in workspace.messages(channel["id"])] == ["hello"]
    assert channel["id"] in {c.id for c in workspace.channels()}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Upper", "invalid_name_specials"),
        ("with space", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
        ("payments", "name_taken"),
    ],
)
def test_names_slack_refuses(client: WebClient, name: str, error: str) -> None:
    assert _refused(lambda: client.conversations_create(name=name)) == error


def test_a_name_stays_taken_after_its_channel_is_archived(client: WebClient) -> None:
    channel = client.conversations_create(name="room")["channel"]["id"]
    client.conversations_archive(channel=channel)
    assert _refused(lambda: client.conversations_create(name="room")) == "name_taken"


def test_invite_adds_people_once(client: WebClient, workspace: SlackWorkspace) -> None:
    channel = client.conversations_create(name="room")["channel"]["id"]
    client.conversations_invite(channel=channel, users="U0ALICE,U0BOB")
    assert (
        _refused(lambda: client.conversations_invite(channel=channel, users="U0ALICE"))
        == "already_in_channel"
    )
    assert _refused(lambda: client.conversations_invite(channel=channel, users="U0GHOST")) == "user_not_found"
    assert _refused(lambda: client.conversations_invite(channel=channel, users=workspace.bot_user_id)) == (
        "cant_invite_self"
    )
    assert _refused(lambda: client.conversations_invite(channel=channel, users="")) == "no_user"
    client.conversations_invite(channel=channel, users="U0ALICE,U0CAROL", force=True)
    [room] = [c for c in workspace.channels() if c.id == channel]
    assert room.members == [workspace.bot_user_id, "U0ALICE", "U0BOB", "U0CAROL"]


def test_an_archived_channel_takes_nothing_more(client: WebClient) -> None:
    channel = client.conversations_create(name="room")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="card")["ts"]
    client.conversations_archive(channel=channel)
    assert client.conversations_info(channel=channel)["channel"]["is_archived"] is True
    assert _refused(lambda: client.conversations_archive(channel=channel)) == "already_archived"
    assert _refused(lambda: client.chat_postMessage(channel=channel, text="late")) == "is_archived"
    assert _refused(lambda: client.chat_update(channel=channel, ts=ts, text="late")) == "is_archived"
    assert _refused(lambda: client.conversations_invite(channel=channel, users="U0ALICE")) == "is_archived"


def test_without_channels_manage_every_room_method_is_missing_scope(
    client: WebClient, workspace: SlackWorkspace
) -> None:
    channel = client.conversations_create(name="room")["channel"]["id"]
    workspace.scopes = tuple(scope for scope in workspace.scopes if scope != "channels:manage")
    assert _refused(lambda: client.conversations_create(name="other")) == "missing_scope"
    assert _refused(lambda: client.conversations_invite(channel=channel, users="U0ALICE")) == "missing_scope"
    assert _refused(lambda: client.conversations_archive(channel=channel)) == "missing_scope"
    assert _refused(lambda: client.conversations_create(name="secret", is_private=True)) == "missing_scope"
