"""The demo shows a reminder: an unacknowledged #payments incident gets one in its thread, and the page
shows it in the channel too (a broadcast reply), with its Snooze button."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.demo.stack import DemoStack, start_demo
from tests.e2e.harness import wait_for

WAIT_SECONDS = 30.0


@pytest.fixture
def demo() -> Iterator[DemoStack]:
    stack = start_demo(port=0, seed=11, incidents=0, live_changes=False)
    yield stack
    stack.stop()


def _state(demo: DemoStack) -> dict[str, Any]:
    with urllib.request.urlopen(f"{demo.url}api/state?user=U0ALICE", timeout=10) as response:
        return dict(json.loads(response.read()))


def _broadcast_reminders(demo: DemoStack) -> list[dict[str, Any]]:
    payments = next(c for c in _state(demo)["channels"] if c["id"] == "C0PAYMENTS")
    return [
        reply
        for message in payments["messages"]
        for reply in message.get("replies") or []
        if reply.get("reply_broadcast") and "Snooze" in json.dumps(reply.get("blocks"))
    ]


def test_an_unacknowledged_payments_incident_gets_a_reminder_on_the_page(demo: DemoStack) -> None:
    started = datetime.now(UTC) - timedelta(minutes=2)  # began two minutes ago: its reminder is due
    demo.coralogix.sim.create_incident(name="Checkout 5xx", application="shop", created_at=started)
    found = wait_for(lambda: _broadcast_reminders(demo), WAIT_SECONDS, "a reminder on the page's #payments")
    assert "Checkout 5xx" in json.dumps(found[0]["blocks"])
    assert "<!subteam^S0ONCALL>" in found[0]["text"]
