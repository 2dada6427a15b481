"""The sandbox's Home tabs (views.publish), unfurls (chat.unfurl), users.conversations and Events API
deliveries (signed, retried with X-Slack-Retry-Num, url_verification)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import RunningSlackSandbox
from bot.sandbox.slack.events import EventSender, app_home_opened, link_shared, links_in, sign

HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


def test_views_publish_replaces_a_persons_home_tab(client: WebClient, sandbox: RunningSlackSandbox) -> None:
    first = client.views_publish(user_id="U0ALICE", view=HOME)["view"]
    second = client.views_publish(user_id="U0ALICE", view={**HOME, "private_metadata": "x"})["view"]
    homes = sandbox.workspace.homes
    assert first["id"] == second["id"] and first["hash"] != second["hash"]
    current = homes.current("U0ALICE")
    assert current is not None and current.view["private_metadata"] == "x"
    assert len(homes.published("U0ALICE")) == 2 and homes.current("U0BOB") is None
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U0ALICE", view={**HOME, "type": "modal"})
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.views_publish(user_id="U0NOBODY", view=HOME)


def test_chat_unfurl_attaches_previews_to_a_persons_links(
    client: WebClient, sandbox: RunningSlackSandbox
) -> None:
    workspace = sandbox.workspace
    url = "https://acme.app.coralogix.com/#/incidents/abc"
    message = workspace.post_message(
        "C0INCIDENTS", text=f"see <{url}>", blocks=[], metadata=None, user="U0BOB"
    )
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}]
    client.chat_unfurl(channel="C0INCIDENTS", ts=message.ts, unfurls={url: {"blocks": blocks}})
    assert workspace.message("C0INCIDENTS", message.ts).unfurls == {url: {"blocks": blocks}}
    shown = client.conversations_history(channel="C0INCIDENTS")["messages"][0]
    assert shown["user"] == "U0BOB" and "bot_id" not in shown
    assert shown["attachments"][0]["app_unfurl_url"] == url and shown["attachments"][0]["is_app_unfurl"]
    with pytest.raises(SlackApiError, match="cannot_unfurl_url"):
        client.chat_unfurl(
            channel="C0INCIDENTS", ts=message.ts, unfurls={"https://else.example/": {"blocks": blocks}}
        )
    with pytest.raises(SlackApiError, match="invalid_unfurls"):
        client.chat_unfurl(channel="C0INCIDENTS", ts=message.ts, unfurls={url: {"blocks": "no"}})


def test_users_conversations_lists_a_persons_channels(
    client: WebClient, sandbox: RunningSlackSandbox
) -> None:
    sandbox.workspace.remove_member("C0SEARCH", "U0CAROL")
    first = client.users_conversations(user="U0CAROL", limit=2)
    second = client.users_conversations(user="U0CAROL", cursor=first["response_metadata"]["next_cursor"])
    ids = {c["id"] for c in first["channels"] + second["channels"]}
    assert ids == {"C0PAYMENTS", "C0INCIDENTS", "C0PLATFORM"}
    assert second["response_metadata"]["next_cursor"] == ""


class _App(BaseHTTPRequestHandler):
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _App.seen.append((dict(self.headers), body))
        payload = json.loads(body)
        answer = json.dumps({"challenge": payload["challenge"]}) if "challenge" in payload else ""
        self.send_response(200)
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def app_url() -> Iterator[str]:
    _App.seen = []
    server = HTTPServer(("127.0.0.1", 0), _App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()


def test_events_are_signed_and_retried_with_the_same_event_id(
    sandbox: RunningSlackSandbox, app_url: str
) -> None:
    workspace = sandbox.workspace
    sender = EventSender(workspace, app_url, "secret")
    first = sender.send(app_home_opened(workspace, "U0ALICE"))
    again = sender.retry(first)
    assert (first.status, again.status, again.retry_num) == (200, 200, 1)
    (h1, b1), (h2, b2) = _App.seen
    assert b1 == b2 and json.loads(b1)["event"]["type"] == "app_home_opened"
    assert h1["X-Slack-Signature"] == sign("secret", h1["X-Slack-Request-Timestamp"], b1)
    assert "X-Slack-Retry-Num" not in h1 and h2["X-Slack-Retry-Num"] == "1"
    assert json.loads(sender.url_verification("c-123").body) == {"challenge": "c-123"}


def test_link_shared_names_the_apps_links_only(sandbox: RunningSlackSandbox) -> None:
    workspace = sandbox.workspace
    text = (
        "a <https://acme.app.coralogix.com/#/incidents/1|one> b https://evil.example/#/incidents/2 "
        + " ".join(f"https://acme.app.coralogix.com/#/incidents/{n}" for n in range(3, 10))
    )
    message = workspace.post_message("C0INCIDENTS", text=text, blocks=[], metadata=None, user="U0BOB")
    event = link_shared(workspace, message, ["app.coralogix.com"])
    assert event is not None and event["is_bot_user_member"] is True and event["user"] == "U0BOB"
    assert [link["url"] for link in event["links"]][:1] == ["https://acme.app.coralogix.com/#/incidents/1"]
    assert len(event["links"]) == 5 and all("evil" not in link["url"] for link in event["links"])
    assert links_in("<https://x.example/a|label>") == ["https://x.example/a"]
    assert link_shared(workspace, message, ["nowhere.example"]) is None
