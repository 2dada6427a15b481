"""chat.* and conversations.* through the real slack_sdk WebClient over a socket."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackWorkspace

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Checkout 5xx* is open"}}
METADATA = {"event_type": "coralogix_incident", "event_payload": {"incident_id": "inc-1"}}


def _error_of(exc: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(exc.value.response["error"])


def test_post_message_answers_like_slack_and_is_stored(client: WebClient, workspace: SlackWorkspace) -> None:
    response = client.chat_postMessage(channel="C0INCIDENTS", text="fallback", blocks=[SECTION])

    assert response["channel"] == "C0INCIDENTS"
    assert response["message"]["text"] == "fallback"
    assert response["message"]["blocks"] == [SECTION]
    assert response["message"]["bot_id"] == "B0BOT"
    [stored] = workspace.messages("C0INCIDENTS")
    assert stored.ts == response["ts"]
    assert stored.blocks == [SECTION]
    assert stored.user == "U0BOT"
    assert stored.thread_ts is None
    assert (stored.edited, stored.updates) == (False, 0)


def test_timestamps_are_unique_increasing_and_slack_shaped(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C0SEARCH", text=f"m{i}")["ts"] for i in range(15)]

    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [Decimal(ts) for ts in stamps] == sorted({Decimal(ts) for ts in stamps})


def test_channel_can_be_named_instead_of_given_by_id(client: WebClient, workspace: SlackWorkspace) -> None:
    response = client.chat_postMessage(channel="#payments", text="by name")

    assert response["channel"] == "C0PAYMENTS"
    assert [m.text for m in workspace.messages("C0PAYMENTS")] == ["by name"]


def test_update_replaces_content_and_counts_updates(client: WebClient, workspace: SlackWorkspace) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="open", blocks=[SECTION])["ts"]
    acked = {"type": "section", "text": {"type": "plain_text", "text": "acknowledged"}}

    client.chat_update(channel="C0INCIDENTS", ts=ts, text="acked", blocks=[acked])
    response = client.chat_update(channel="C0INCIDENTS", ts=ts, text="acked again")

    stored = workspace.message("C0INCIDENTS", ts)
    assert stored.text == "acked again"
    assert stored.blocks == [acked], "blocks not sent on update are kept, as Slack keeps them"
    assert (stored.edited, stored.updates) == (True, 2)
    assert response["ts"] == ts
    assert response["message"]["edited"]["user"] == "U0BOT"
    assert len(workspace.messages("C0INCIDENTS")) == 1


def test_update_of_an_unknown_message_is_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C0INCIDENTS", ts="1700000000.000100", text="x")

    assert _error_of(exc) == "message_not_found"


def test_thread_replies_stay_out_of_the_channel(client: WebClient, workspace: SlackWorkspace) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="incident")["ts"]
    first = client.chat_postMessage(channel="C0INCIDENTS", text="acked by alice", thread_ts=parent)
    client.chat_postMessage(channel="C0INCIDENTS", text="resolved", thread_ts=first["ts"])

    assert first["message"]["thread_ts"] == parent
    assert [m.text for m in workspace.messages("C0INCIDENTS")] == ["incident"]
    assert [m.text for m in workspace.replies("C0INCIDENTS", parent)] == ["acked by alice", "resolved"]
    [shown] = client.conversations_history(channel="C0INCIDENTS")["messages"]
    assert (shown["reply_count"], shown["thread_ts"]) == (2, parent)
    thread = client.conversations_replies(channel="C0INCIDENTS", ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["incident", "acked by alice", "resolved"]


def test_broadcast_reply_shows_in_history(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="incident")["ts"]
    client.chat_postMessage(channel="C0INCIDENTS", text="closed", thread_ts=parent, reply_broadcast=True)

    messages = client.conversations_history(channel="C0INCIDENTS")["messages"]

    assert [(m["text"], m.get("subtype")) for m in messages] == [
        ("closed", "thread_broadcast"),
        ("incident", None),
    ]


def test_malformed_thread_ts_is_refused_and_unknown_one_is_hidden(
    client: WebClient, workspace: SlackWorkspace
) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="x", thread_ts="0.a")
    assert _error_of(exc) == "invalid_thread_ts"

    client.chat_postMessage(channel="C0INCIDENTS", text="orphan", thread_ts="1600000000.000001")

    assert workspace.messages("C0INCIDENTS") == []
    assert client.conversations_history(channel="C0INCIDENTS")["messages"] == []
    assert [m.text for m in workspace.replies("C0INCIDENTS", "1600000000.000001")] == ["orphan"]


def test_metadata_round_trips_through_history(client: WebClient, workspace: SlackWorkspace) -> None:
    ts = client.chat_postMessage(channel="C0PAYMENTS", text="incident", metadata=METADATA)["ts"]

    with_metadata = client.conversations_history(channel="C0PAYMENTS", include_all_metadata=True)
    without = client.conversations_history(channel="C0PAYMENTS")

    assert with_metadata["messages"][0]["metadata"] == METADATA
    assert "metadata" not in without["messages"][0]
    assert workspace.message("C0PAYMENTS", ts).metadata == METADATA

    changed = {"event_type": "coralogix_incident", "event_payload": {"incident_id": "inc-1", "v": 2}}
    client.chat_update(channel="C0PAYMENTS", ts=ts, text="incident", metadata=changed)
    history = client.conversations_history(channel="C0PAYMENTS", include_all_metadata=True)
    assert history["messages"][0]["metadata"] == changed


def test_json_typed_params_may_arrive_as_strings_in_a_form(
    client: WebClient, workspace: SlackWorkspace
) -> None:
    response = client.api_call(
        "chat.postMessage",
        params={"channel": "C0INCIDENTS", "blocks": json.dumps([SECTION]), "metadata": json.dumps(METADATA)},
    )

    stored = workspace.message("C0INCIDENTS", response["ts"])
    assert (stored.blocks, stored.metadata, stored.text) == ([SECTION], METADATA, "")
    [call] = workspace.calls_to("chat.postMessage")
    assert call.params["blocks"] == [SECTION]


def test_metadata_without_event_type_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="x", metadata={"event_payload": {}})

    assert _error_of(exc) == "invalid_metadata_schema"


def test_history_pages_newest_first_with_cursors(client: WebClient) -> None:
    posted = [client.chat_postMessage(channel="C0SEARCH", text=f"m{i}")["ts"] for i in range(7)]

    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        page = client.conversations_history(channel="C0SEARCH", limit=3, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        sizes.append(len(page["messages"]))
        if not page["has_more"]:
            assert "response_metadata" not in page or not page["response_metadata"].get("next_cursor")
            break
        cursor = page["response_metadata"]["next_cursor"]

    assert sizes == [3, 3, 1]
    assert seen == list(reversed(posted))


def test_slack_sdk_iterates_history_pages(client: WebClient) -> None:
    posted = [client.chat_postMessage(channel="C0SEARCH", text=f"m{i}")["ts"] for i in range(5)]

    # slack_sdk reuses one response object per page, so read each page while it is current
    pages = [
        [m["ts"] for m in page["messages"]]
        for page in client.conversations_history(channel="C0SEARCH", limit=2)
    ]

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [ts for page in pages for ts in page] == list(reversed(posted))


def test_history_window_honours_oldest_latest_and_inclusive(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C0SEARCH", text=f"m{i}")["ts"] for i in range(5)]

    exclusive = client.conversations_history(channel="C0SEARCH", oldest=stamps[1], latest=stamps[3])
    inclusive = client.conversations_history(
        channel="C0SEARCH", oldest=stamps[1], latest=stamps[3], inclusive=True
    )

    assert [m["ts"] for m in exclusive["messages"]] == [stamps[2]]
    assert [m["ts"] for m in inclusive["messages"]] == [stamps[3], stamps[2], stamps[1]]


def test_replies_page_oldest_first(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="p")["ts"]
    replies = [
        client.chat_postMessage(channel="C0INCIDENTS", text=f"r{i}", thread_ts=parent)["ts"] for i in range(4)
    ]

    first = client.conversations_replies(channel="C0INCIDENTS", ts=parent, limit=3)
    rest = client.conversations_replies(
        channel="C0INCIDENTS", ts=parent, limit=3, cursor=first["response_metadata"]["next_cursor"]
    )

    assert [m["ts"] for m in first["messages"]] == [parent, *replies[:2]]
    assert [m["ts"] for m in rest["messages"]] == replies[2:]
    assert rest["has_more"] is False


def test_bad_cursor_and_unknown_thread_are_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as cursor_exc:
        client.conversations_history(channel="C0SEARCH", cursor="not-a-cursor")
    with pytest.raises(SlackApiError) as thread_exc:
        client.conversations_replies(channel="C0SEARCH", ts="1700000000.000001")

    assert _error_of(cursor_exc) == "invalid_cursor"
    assert _error_of(thread_exc) == "thread_not_found"


@pytest.mark.parametrize("channel", ["C0NOPE", "#nope", ""])
def test_unknown_or_missing_channel_is_channel_not_found(client: WebClient, channel: str) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"channel": channel, "text": "x"})

    assert _error_of(exc) == "channel_not_found"


def test_message_without_text_or_blocks_is_no_text(client: WebClient, workspace: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"channel": "C0INCIDENTS", "text": ""})

    assert _error_of(exc) == "no_text"
    assert workspace.messages("C0INCIDENTS") == []


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ("[{not json", "/blocks"),
        ([SECTION] * 51, "/blocks"),
        ([{"text": "no type"}], "/blocks/0"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "/blocks/0/text/text"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
            "/blocks/0/fields/0/text",
        ),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text/text"),
        ([{**SECTION, "block_id": "a"}, {**SECTION, "block_id": "a"}], "/blocks/1/block_id"),
        (
            [
                {
                    "type": "actions",
                    "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
                }
            ],
            "/blocks/0/elements/0/text/text",
        ),
    ],
)
def test_broken_blocks_are_invalid_blocks(
    client: WebClient, workspace: SlackWorkspace, blocks: object, pointer: str
) -> None:
    request = {"channel": "C0INCIDENTS", "text": "x", "blocks": blocks}
    # a string goes in a form body, where blocks travel as a JSON string; a list goes as JSON
    body: dict[str, Any] = {"params": request} if isinstance(blocks, str) else {"json": request}
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", **body)

    assert _error_of(exc) == "invalid_blocks"
    assert any(
        f"[json-pointer:{pointer}]" in line for line in exc.value.response["response_metadata"]["messages"]
    )
    assert workspace.messages("C0INCIDENTS") == []


def test_fifty_blocks_are_fine(client: WebClient) -> None:
    blocks = [{**SECTION, "block_id": f"b{i}"} for i in range(50)]

    assert client.chat_postMessage(channel="C0INCIDENTS", text="x", blocks=blocks)["ok"] is True


def test_too_long_text_is_msg_too_long(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="x" * 40_001)

    assert _error_of(exc) == "msg_too_long"


def test_ephemeral_goes_to_one_user(client: WebClient, workspace: SlackWorkspace) -> None:
    response = client.chat_postEphemeral(
        channel="C0INCIDENTS", user="U0ALICE", text="only you", blocks=[SECTION]
    )

    [ephemeral] = workspace.ephemerals("U0ALICE")
    assert ephemeral.message_ts == response["message_ts"]
    assert (ephemeral.channel, ephemeral.text, ephemeral.blocks) == ("C0INCIDENTS", "only you", [SECTION])
    assert workspace.ephemerals("U0BOB") == []
    assert workspace.messages("C0INCIDENTS") == []


def test_ephemeral_to_an_unknown_user_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postEphemeral(channel="C0INCIDENTS", user="U0GHOST", text="x")

    assert _error_of(exc) == "user_not_in_channel"


def test_permalink_points_at_the_message(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="p")["ts"]
    reply = client.chat_postMessage(channel="C0INCIDENTS", text="r", thread_ts=parent)["ts"]

    top = client.chat_getPermalink(channel="C0INCIDENTS", message_ts=parent)["permalink"]
    threaded = client.chat_getPermalink(channel="C0INCIDENTS", message_ts=reply)["permalink"]

    assert top.endswith(f"/archives/C0INCIDENTS/p{parent.replace('.', '')}")
    assert f"thread_ts={parent}" in threaded
    with pytest.raises(SlackApiError) as exc:
        client.chat_getPermalink(channel="C0INCIDENTS", message_ts="1700000000.000009")
    assert _error_of(exc) == "message_not_found"


def test_deleted_message_leaves_the_channel(client: WebClient, workspace: SlackWorkspace) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="gone soon")["ts"]

    client.chat_delete(channel="C0INCIDENTS", ts=ts)

    assert workspace.messages("C0INCIDENTS") == []
    assert workspace.message("C0INCIDENTS", ts).deleted is True
    with pytest.raises(SlackApiError):
        client.chat_update(channel="C0INCIDENTS", ts=ts, text="x")


def test_conversations_info_and_join(client: WebClient) -> None:
    info = client.conversations_info(channel="C0PLATFORM")["channel"]
    joined = client.conversations_join(channel="C0PLATFORM")

    assert (info["id"], info["name"], info["is_channel"]) == ("C0PLATFORM", "platform", True)
    assert joined["channel"]["id"] == "C0PLATFORM"
    with pytest.raises(SlackApiError) as exc:
        client.conversations_info(channel="C0NOPE")
    assert _error_of(exc) == "channel_not_found"


def test_posting_to_a_user_opens_a_direct_message(client: WebClient, workspace: SlackWorkspace) -> None:
    response = client.chat_postMessage(channel="U0ALICE", text="psst")

    assert response["channel"].startswith("D")
    assert [m.text for m in workspace.messages(response["channel"])] == ["psst"]


def test_every_call_is_recorded_decoded_without_the_token(
    client: WebClient, workspace: SlackWorkspace
) -> None:
    client.chat_postMessage(channel="C0INCIDENTS", text="x", blocks=[SECTION], unfurl_links=False)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOPE", text="x")

    ok_call, failed_call = workspace.calls_to("chat.postMessage")
    assert ok_call.params == {
        "channel": "C0INCIDENTS",
        "text": "x",
        "blocks": [SECTION],
        "unfurl_links": False,
    }
    assert (ok_call.status, ok_call.ok, ok_call.error) == (200, True, None)
    assert (failed_call.ok, failed_call.error) == (False, "channel_not_found")
    assert all("token" not in call.params for call in workspace.calls)
    assert ok_call.at <= failed_call.at
