"""Tokens, unknown methods and the way Bolt starts against the sandbox."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace


def test_auth_test_names_the_bot_and_its_scopes(client: WebClient) -> None:
    me = client.auth_test()

    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("U0BOT", "T0SANDBOX", "B0BOT")
    assert "chat:write" in me.headers["x-oauth-scopes"].split(",")


def test_unknown_token_is_invalid_auth(sandbox: RunningSlackSandbox) -> None:
    stranger = WebClient(token="xoxb-not-ours", base_url=sandbox.api_url)

    with pytest.raises(SlackApiError) as exc:
        stranger.chat_postMessage(channel="C0INCIDENTS", text="x")

    assert exc.value.response["error"] == "invalid_auth"
    assert sandbox.workspace.messages("C0INCIDENTS") == []


def test_missing_token_is_not_authed(sandbox: RunningSlackSandbox) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=sandbox.api_url).auth_test()

    assert exc.value.response["error"] == "not_authed"


def test_token_may_come_as_a_form_parameter(sandbox: RunningSlackSandbox) -> None:
    body = f"token={SANDBOX_BOT_TOKEN}".encode()
    request = urllib.request.Request(
        f"{sandbox.api_url}auth.test",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["ok"] is True


def test_get_with_a_query_string_works_too(sandbox: RunningSlackSandbox) -> None:
    request = urllib.request.Request(
        f"{sandbox.api_url}users.info?user=U0BOB", headers={"Authorization": f"Bearer {SANDBOX_BOT_TOKEN}"}
    )

    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["user"]["profile"]["email"] == "bob@example.com"


def test_unknown_method_is_unknown_method(client: WebClient, workspace: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.frobnicate", params={"channel": "C0INCIDENTS"})

    assert (exc.value.response.status_code, exc.value.response["error"]) == (200, "unknown_method")
    [call] = workspace.calls_to("chat.frobnicate")
    assert call.error == "unknown_method"


def test_bolt_app_starts_against_the_sandbox(sandbox: RunningSlackSandbox) -> None:
    client = WebClient(token=SANDBOX_BOT_TOKEN, base_url=sandbox.api_url)

    app = App(client=client, signing_secret="sandbox-secret")

    assert app.client.auth_test()["bot_id"] == "B0BOT"
    assert sandbox.workspace.calls_to("auth.test"), "Bolt verifies the token with auth.test at start"
