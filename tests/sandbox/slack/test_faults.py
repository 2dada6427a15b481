"""Injected trouble as slack_sdk sees it: 429 + Retry-After, 5xx, error codes, slowness, channel pacing."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace


def _client(sandbox: RunningSlackSandbox, **options: object) -> WebClient:
    return WebClient(token=SANDBOX_BOT_TOKEN, base_url=sandbox.api_url, **options)  # type: ignore[arg-type]


def test_rate_limit_is_429_with_retry_after_then_passes(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.rate_limit("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="x")

    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert exc.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0INCIDENTS", text="x")["ok"] is True
    assert [(c.status, c.error) for c in workspace.calls_to("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]
    assert len(workspace.messages("C0INCIDENTS")) == 1


def test_rate_limit_retry_handler_succeeds_after_the_fault(sandbox: RunningSlackSandbox) -> None:
    workspace = sandbox.workspace
    workspace.faults.rate_limit("chat.postMessage", calls=1, retry_after=0)
    client = _client(sandbox, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])

    response = client.chat_postMessage(channel="C0INCIDENTS", text="after the storm")

    assert response["ok"] is True
    assert [c.status for c in workspace.calls_to("chat.postMessage")] == [429, 200]
    assert [m.text for m in workspace.messages("C0INCIDENTS")] == ["after the storm"]


def test_rate_limit_for_a_while_ends_by_itself(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.rate_limit("auth.test", seconds=0.3, retry_after=0)

    with pytest.raises(SlackApiError) as exc:
        client.auth_test()
    assert exc.value.response.status_code == 429

    deadline = time.monotonic() + 5
    while True:
        try:
            assert client.auth_test()["ok"] is True
            break
        except SlackApiError:
            assert time.monotonic() < deadline, "the timed rate limit never ended"
            time.sleep(0.05)


def test_server_error_is_seen_as_its_status(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.fail("chat.update", status=503, calls=2)
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="open")["ts"]

    statuses = []
    for _ in range(3):
        try:
            client.chat_update(channel="C0INCIDENTS", ts=ts, text="acked")
            statuses.append(200)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)

    assert statuses == [503, 503, 200]
    assert workspace.message("C0INCIDENTS", ts).updates == 1


def test_error_code_answers_200_ok_false(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.error("chat.postMessage", "not_in_channel")

    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="x")

    assert exc.value.response.status_code == 200
    assert exc.value.response["error"] == "not_in_channel"
    assert workspace.messages("C0INCIDENTS") == []


def test_star_matches_every_method(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.error("*", "team_access_not_granted", calls=2)

    errors: list[str | None] = []
    for method, params in (("auth.test", {}), ("users.info", {"user": "U0BOB"}), ("auth.test", {})):
        try:
            client.api_call(method, params=params)
            errors.append(None)
        except SlackApiError as exc:
            errors.append(exc.response["error"])

    assert errors == ["team_access_not_granted", "team_access_not_granted", None]


def test_slow_method_outlasts_a_short_client_timeout(sandbox: RunningSlackSandbox) -> None:
    sandbox.workspace.faults.slow(1.0, "auth.test")
    impatient = _client(sandbox, timeout=0.2, retry_handlers=[])

    with pytest.raises(TimeoutError):
        impatient.auth_test()
    assert impatient.users_info(user="U0ALICE")["ok"] is True, "only auth.test is slow"


def test_slow_call_still_answers(sandbox: RunningSlackSandbox) -> None:
    sandbox.workspace.faults.slow(0.1)

    assert _client(sandbox, timeout=5).auth_test()["ok"] is True


def test_clear_removes_pending_faults(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.fail("auth.test", calls=5)
    workspace.faults.slow(5.0)
    workspace.faults.clear()

    assert client.auth_test()["ok"] is True


def test_channel_pacing_rate_limits_a_busy_channel_only(client: WebClient, workspace: SlackWorkspace) -> None:
    workspace.faults.enforce_channel_pacing(per_second=0.2, burst=2)

    client.chat_postMessage(channel="C0INCIDENTS", text="1")
    client.chat_postMessage(channel="C0INCIDENTS", text="2")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0INCIDENTS", text="3")
    client.chat_postMessage(channel="C0PAYMENTS", text="elsewhere")

    assert exc.value.response.status_code == 429
    assert int(exc.value.response.headers["Retry-After"]) >= 1
    assert [m.text for m in workspace.messages("C0INCIDENTS")] == ["1", "2"]


def test_pacing_is_off_by_default(client: WebClient, workspace: SlackWorkspace) -> None:
    for i in range(10):
        client.chat_postMessage(channel="C0INCIDENTS", text=str(i))

    assert len(workspace.messages("C0INCIDENTS")) == 10
