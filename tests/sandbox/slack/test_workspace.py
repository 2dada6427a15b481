"""The workspace itself: default content, thread safety, lifecycle of the server around it."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, SlackWorkspace, start_slack_sandbox
from bot.sandbox.slack.timestamps import TimestampClock, decode_cursor, encode_cursor


def test_defaults_hold_the_demo_channels_and_users() -> None:
    workspace = SlackWorkspace.with_defaults()

    assert {c.id: c.name for c in workspace.channels()} == {
        "C0PAYMENTS": "payments",
        "C0SEARCH": "search",
        "C0INCIDENTS": "incidents",
        "C0PLATFORM": "platform",
    }
    emails = {u.id: u.email for u in workspace.users()}
    assert emails["U0ALICE"] == "alice@example.com"
    assert emails["U0BOB"] == "bob@example.com"
    assert emails["U0CAROL"] == "carol@example.com"
    assert emails["U0LEAD"] == "lead@example.com"
    assert emails["U0NOMAIL"] is None


def test_a_bare_workspace_has_only_the_bot() -> None:
    workspace = SlackWorkspace(team_id="T1", bot_user_id="U1BOT")

    assert workspace.channels() == []
    assert [u.id for u in workspace.users()] == ["U1BOT"]


def test_added_channels_and_users_are_served() -> None:
    workspace = SlackWorkspace()
    workspace.add_channel("C1", "ops")
    workspace.add_user("U1", "dana", "dana@example.com", "Dana D")

    with start_slack_sandbox(workspace) as running:
        client = WebClient(token=SANDBOX_BOT_TOKEN, base_url=running.api_url)
        client.chat_postMessage(channel="C1", text="hello ops")
        assert client.users_lookupByEmail(email="dana@example.com")["user"]["real_name"] == "Dana D"

    assert [m.text for m in workspace.messages("C1")] == ["hello ops"]


def test_concurrent_posts_get_distinct_ordered_timestamps() -> None:
    with start_slack_sandbox() as running:
        client = WebClient(token=SANDBOX_BOT_TOKEN, base_url=running.api_url)
        with ThreadPoolExecutor(max_workers=8) as pool:
            stamps = list(
                pool.map(lambda i: client.chat_postMessage(channel="C0SEARCH", text=str(i))["ts"], range(40))
            )

        stored = [m.ts for m in running.workspace.messages("C0SEARCH")]

    assert len(set(stamps)) == 40
    assert sorted(stamps) == sorted(stored)
    assert [Decimal(ts) for ts in stored] == sorted(Decimal(ts) for ts in stored)


def test_returned_records_are_copies() -> None:
    workspace = SlackWorkspace.with_defaults()
    message = workspace.post_message("C0SEARCH", text="x", blocks=[], metadata=None)

    workspace.messages("C0SEARCH")[0].text = "tampered"

    assert workspace.message("C0SEARCH", message.ts).text == "x"


def test_unknown_message_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        SlackWorkspace.with_defaults().message("C0SEARCH", "1700000000.000001")


def test_response_urls_need_a_running_server() -> None:
    with pytest.raises(RuntimeError):
        SlackWorkspace.with_defaults().new_response_url()


def test_stop_frees_the_port_and_can_be_repeated() -> None:
    running = start_slack_sandbox()
    port = running.port
    assert port > 0
    assert running.api_url == f"http://127.0.0.1:{port}/api/"

    running.stop()
    running.stop()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_timestamp_clock_never_repeats_or_goes_back() -> None:
    readings = iter([100.0, 100.0, 99.0, 101.5])
    clock = TimestampClock(lambda: next(readings))

    assert [clock.next_ts() for _ in range(4)] == [
        "100.000000",
        "100.000001",
        "100.000002",
        "101.500000",
    ]


def test_cursor_round_trips_and_rejects_strangers() -> None:
    assert decode_cursor(encode_cursor("1700000000.000100")) == "1700000000.000100"
    assert decode_cursor("bm9wZQ==") is None
    assert decode_cursor("%%%") is None
