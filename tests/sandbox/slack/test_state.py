"""GET /sandbox/state, the JSON picture of the workspace, and unknown paths."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import RunningSlackSandbox


def _state(sandbox: RunningSlackSandbox) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sandbox.base_url}/sandbox/state", timeout=5) as response:
        assert response.headers["Access-Control-Allow-Origin"] is None  # no other site's page may read it
        state: dict[str, Any] = json.load(response)
        return state


def test_state_shows_channels_messages_threads_and_the_rest(
    sandbox: RunningSlackSandbox, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="incident")["ts"]
    client.chat_postMessage(channel="C0INCIDENTS", text="acked", thread_ts=parent)
    client.chat_postEphemeral(channel="C0INCIDENTS", user="U0ALICE", text="psst")
    client.views_open(
        trigger_id="t", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    )

    state = _state(sandbox)

    channels = {c["id"]: c for c in state["channels"]}
    assert set(channels) >= {"C0PAYMENTS", "C0SEARCH", "C0INCIDENTS", "C0PLATFORM"}
    [message] = channels["C0INCIDENTS"]["messages"]
    assert (message["text"], [r["text"] for r in message["replies"]]) == ("incident", ["acked"])
    assert [e["text"] for e in state["ephemerals"]] == ["psst"]
    assert len(state["views"]) == 1
    emails = {u["id"]: u["email"] for u in state["users"]}
    assert emails["U0CAROL"] == "carol@example.com"
    assert emails["U0NOMAIL"] is None


def test_unknown_path_is_404(sandbox: RunningSlackSandbox) -> None:
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{sandbox.base_url}/nothing-here", timeout=5)

    assert exc.value.code == 404


def test_state_grants_no_cross_origin_read(sandbox: RunningSlackSandbox) -> None:
    request = urllib.request.Request(
        f"{sandbox.base_url}/sandbox/state", headers={"Origin": "https://evil.example"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        granted = [name for name in response.headers if name.lower().startswith("access-control-")]
    assert granted == []
