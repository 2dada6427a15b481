"""A running Slack sandbox with the demo workspace, and a real slack_sdk client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox, SlackWorkspace, start_slack_sandbox


@pytest.fixture
def sandbox() -> Iterator[RunningSlackSandbox]:
    with start_slack_sandbox(SlackWorkspace.with_defaults()) as running:
        yield running


@pytest.fixture
def workspace(sandbox: RunningSlackSandbox) -> SlackWorkspace:
    return sandbox.workspace


@pytest.fixture
def client(sandbox: RunningSlackSandbox) -> WebClient:
    return WebClient(token=SANDBOX_BOT_TOKEN, base_url=sandbox.api_url, timeout=5)
