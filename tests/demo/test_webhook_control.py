"""The demo's "Send Coralogix's webhook" control: with an hour between polls, the card comes at once."""

from __future__ import annotations

from bot.demo.stack import start_demo
from tests.demo.test_report_control import _post
from tests.e2e.harness import wait_for


def test_the_webhook_button_brings_a_new_incident_long_before_the_next_poll() -> None:
    stack = start_demo(port=0, seed=5, incidents=5, live_changes=False, poll_interval_seconds=3600)
    try:
        wait_for(lambda: stack.runtime.job.last_result is not None, 30, "the demo's first poll")
        incident_id = stack.feed.create(severity="critical", application="shop")

        def cards() -> int:
            return sum(
                1
                for channel in stack.slack.workspace.channels()
                for m in stack.slack.workspace.messages(channel.id)
                if (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id
            )

        assert cards() == 0
        status, answer = _post(stack.url + "api/webhook", {})
        assert status == 200, answer
        assert answer["said"].startswith("Coralogix's webhook reached the bot (202)")
        wait_for(cards, 10, "the new incident's card, brought by the webhook")
    finally:
        stack.stop()
