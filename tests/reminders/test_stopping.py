"""Ended reminders are redrawn from their own metadata, over the Slack sandbox: the Snooze button gives
way to the reason; a reminder that cannot be redrawn keeps its button and does not stop the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Severity, State, Status
from bot.metrics import Metrics
from bot.reminders.sending import GatewayReplies
from bot.reminders.stopping import redraw_stopped, stop_reason
from bot.sandbox.slack import SANDBOX_BOT_TOKEN, RunningSlackSandbox
from bot.slack.blocks.reminder import reminder_message
from bot.slack.gateway import SlackGateway, build_web_client
from bot.slack.payload import MessagePayload
from bot.store.reminders import ReminderSeries
from bot.store.rows import Snapshot

CHANNEL = "C0PAYMENTS"
T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _snapshot(
    status: Status = Status.TRIGGERED, assignee: str | None = None, closed: bool = False
) -> Snapshot:
    return Snapshot("inc-1", status, State.TRIGGERED, Severity.ERROR, assignee=assignee, closed=closed)


@pytest.mark.parametrize(
    ("snapshots", "reason"),
    [
        ([_snapshot(Status.ACKNOWLEDGED)], "the incident was acknowledged."),
        ([_snapshot(assignee="bob@example.com")], "the incident was assigned."),
        ([_snapshot(Status.RESOLVED)], "the incident was resolved."),
        ([_snapshot(Status.RESOLVED, closed=True)], "the incident was closed."),
        ([None], "the incident was closed."),  # pruned with its closed card
        ([_snapshot(Status.ACKNOWLEDGED), None], "every incident listed was acknowledged"),
    ],
)
def test_the_reason_says_what_happened(snapshots: list[Snapshot | None], reason: str) -> None:
    assert stop_reason(snapshots).startswith(reason)


def test_each_reminder_is_redrawn_from_its_own_metadata(slack: RunningSlackSandbox) -> None:
    gateway = SlackGateway(build_web_client(SANDBOX_BOT_TOKEN, slack.api_url), Metrics(), pace_seconds=0)
    replies = GatewayReplies(gateway)
    card = gateway.post_message(CHANNEL, MessagePayload(text="the card", blocks=[]))
    series = ReminderSeries(CHANNEL, card, "payments", {"inc-1": "Checkout 5xx"}, T0)

    def reminder(step: int, minutes: int) -> MessagePayload:
        return reminder_message(
            thread_ts=card,
            step=step,
            times=3,
            waited=timedelta(minutes=minutes),
            incidents=[("inc-1", "Checkout 5xx")],
            mentions=["S0ONCALL"],
        )

    older = reminder(1, 5)
    assert older.metadata is not None
    older_payload = {k: v for k, v in older.metadata["event_payload"].items() if k in ("thread_ts", "step")}
    old_style = MessagePayload(older.text, older.blocks, {**older.metadata, "event_payload": older_payload})
    posted = [
        replies.post_reply(CHANNEL, card, payload, broadcast=True)
        for payload in (old_style, reminder(2, 10), reminder(3, 15))
    ]
    slack.workspace.faults.error("chat.update", "message_not_found")  # the first redraw is refused

    assert redraw_stopped(replies, series, "the incident was acknowledged.") == 1

    shown = {m.ts: m for m in slack.workspace.replies(CHANNEL, card)}
    assert "incident_snooze" in str(shown[posted[0]].blocks)  # said too little to be redrawn: left alone
    assert "incident_snooze" in str(shown[posted[1]].blocks)  # Slack refused its redraw
    last = shown[posted[2]]
    assert "incident_snooze" not in str(last.blocks)
    assert "Reminder 3 of 3 · :white_check_mark: no more reminders: the incident was acknowledged." in str(
        last.blocks
    )
    assert last.blocks[0] == reminder(3, 15).blocks[0]  # the words it was posted with
    assert "15 minutes" in str(last.blocks[0]) and "<!subteam^S0ONCALL>" in str(last.blocks[0])
