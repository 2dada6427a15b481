"""A trigger_id opens a modal only within 3 seconds of the interaction that made it, as in Slack."""

from __future__ import annotations

import pytest

from bot.sandbox.slack import SlackWorkspace
from bot.sandbox.slack.failure import SlackMethodError

VIEW = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_trigger_expires_after_three_seconds() -> None:
    clock = FakeMonotonic()
    workspace = SlackWorkspace(monotonic=clock)
    fresh, late = workspace.new_trigger_id(), workspace.new_trigger_id()
    clock.now += 2.9
    assert workspace.open_view("views.open", VIEW, trigger_id=fresh).method == "views.open"
    clock.now += 0.2
    with pytest.raises(SlackMethodError) as refused:
        workspace.open_view("views.open", VIEW, trigger_id=late)
    assert refused.value.error == "expired_trigger_id"
    assert len(workspace.views()) == 1


def test_triggers_the_sandbox_did_not_issue_are_not_judged() -> None:
    clock = FakeMonotonic()
    workspace = SlackWorkspace(monotonic=clock)
    clock.now += 60
    assert workspace.open_view("views.open", VIEW, trigger_id="t").trigger_id == "t"
