"""POSTs to response URLs, with slack_sdk's WebhookClient (what Bolt's `respond` uses) and plain urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.sandbox.slack import SlackWorkspace

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]


def _post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_ephemeral_response_is_recorded_and_shown_to_the_user(workspace: SlackWorkspace) -> None:
    url = workspace.new_response_url(channel="C0INCIDENTS", user="U0ALICE")

    response = WebhookClient(url).send(text="Acknowledged 2 incidents", blocks=BLOCKS)

    assert (response.status_code, response.body) == (200, "ok")
    assert workspace.responses() == [{"text": "Acknowledged 2 incidents", "blocks": BLOCKS}]
    [ephemeral] = workspace.ephemerals("U0ALICE")
    assert (ephemeral.text, ephemeral.via, ephemeral.channel) == (
        "Acknowledged 2 incidents",
        "response_url",
        "C0INCIDENTS",
    )
    assert workspace.messages("C0INCIDENTS") == []


def test_in_channel_response_posts_a_message(workspace: SlackWorkspace) -> None:
    url = workspace.new_response_url(channel="C0INCIDENTS", user="U0ALICE")

    status, _ = _post(url, json.dumps({"response_type": "in_channel", "text": "for everyone"}).encode())

    assert status == 200
    assert [m.text for m in workspace.messages("C0INCIDENTS")] == ["for everyone"]


def test_replace_original_updates_the_bound_message(client: WebClient, workspace: SlackWorkspace) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="open")["ts"]
    url = workspace.new_response_url(channel="C0INCIDENTS", message_ts=ts, user="U0BOB")

    WebhookClient(url).send(text="acknowledged", blocks=BLOCKS, replace_original=True)

    stored = workspace.message("C0INCIDENTS", ts)
    assert (stored.text, stored.blocks, stored.updates) == ("acknowledged", BLOCKS, 1)
    assert workspace.responses(url) == [{"text": "acknowledged", "blocks": BLOCKS, "replace_original": True}]


def test_delete_original_removes_the_bound_message(client: WebClient, workspace: SlackWorkspace) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="open")["ts"]
    url = workspace.new_response_url(channel="C0INCIDENTS", message_ts=ts)

    status, text = _post(url, json.dumps({"delete_original": True}).encode())

    assert (status, text) == (200, "ok")
    assert workspace.messages("C0INCIDENTS") == []


def test_form_body_with_payload_is_accepted(workspace: SlackWorkspace) -> None:
    url = workspace.new_response_url()
    form = urllib.parse.urlencode({"payload": json.dumps({"text": "via form"})}).encode()

    status, _ = _post(url, form, "application/x-www-form-urlencoded")

    assert status == 200
    assert workspace.responses() == [{"text": "via form"}]


def test_unknown_response_url_is_404(sandbox_url: str, workspace: SlackWorkspace) -> None:
    status, text = _post(f"{sandbox_url}/response/R999999", b'{"text": "x"}')

    assert (status, text) == (404, "no_service")
    assert workspace.responses() == []


def test_a_response_url_takes_five_posts(workspace: SlackWorkspace) -> None:
    url = workspace.new_response_url(user="U0ALICE")

    statuses = [_post(url, json.dumps({"text": f"n{i}"}).encode())[0] for i in range(6)]

    assert statuses == [200] * 5 + [404]
    assert len(workspace.responses(url)) == 5


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "invalid_payload"),
        (b'{"response_type": "ephemeral"}', "no_text"),
        (json.dumps({"text": "x", "blocks": [{"no": "type"}]}).encode(), "invalid_blocks"),
    ],
)
def test_bad_bodies_are_400_and_not_recorded(workspace: SlackWorkspace, body: bytes, error: str) -> None:
    status, text = _post(workspace.new_response_url(), body)

    assert (status, text) == (400, error)
    assert workspace.responses() == []


@pytest.fixture
def sandbox_url(workspace: SlackWorkspace) -> str:
    return workspace.base_url
