"""The reminder's blocks: within Slack's limits, mentions as Slack writes them, one Snooze button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack.blocks.reminder import mention, reminder_message, snooze_label, snoozed_note
from bot.slack.ids import REMINDER_METADATA_EVENT_TYPE, ActionId, CallbackId, ReminderActionId
from tests.slack.test_blocks import action_ids, actions_block, assert_valid_message


def test_a_card_reminder_names_the_wait_the_targets_and_carries_snooze() -> None:
    payload = reminder_message(
        thread_ts="100.1",
        step=2,
        times=3,
        waited=timedelta(minutes=40),
        incidents=[("inc-1", "Checkout 5xx")],
        mentions=["S0ONCALL", "U0BOB", "<!subteam^S0LEADS>"],
        snooze_seconds=1800,
    )
    assert_valid_message(payload)
    assert payload.text.startswith("<!subteam^S0ONCALL> <@U0BOB> <!subteam^S0LEADS> Still unacknowledged")
    section = payload.blocks[0]["text"]["text"]
    assert "*Checkout 5xx* is still unacknowledged after *40 minutes*" in section
    assert "Reminder 2 of 3" in str(payload.blocks)
    assert action_ids(payload) == [ReminderActionId.SNOOZE.value]
    button = actions_block(payload)["elements"][0]
    assert (button["text"]["text"], button["value"]) == ("Snooze 30 min", "100.1")
    assert payload.metadata == {
        "event_type": REMINDER_METADATA_EVENT_TYPE,
        "event_payload": {
            "thread_ts": "100.1",
            "step": 2,
            "incident_ids": ["inc-1"],
            "times": 3,
            "waited_seconds": 2400.0,
            "mentions": ["S0ONCALL", "U0BOB", "<!subteam^S0LEADS>"],
        },
    }


def test_a_stopped_reminder_keeps_its_words_and_says_why_where_snooze_was() -> None:
    arguments: dict[str, Any] = {
        "thread_ts": "100.1",
        "step": 1,
        "times": 3,
        "waited": timedelta(minutes=10),
        "incidents": [("inc-1", "Checkout 5xx")],
        "mentions": ["S0ONCALL"],
    }
    posted = reminder_message(**arguments)
    stopped = reminder_message(**arguments, stopped="the incident was acknowledged.")
    assert_valid_message(stopped)
    assert [b for b in stopped.blocks if b["type"] == "actions"] == []  # no Snooze button
    assert stopped.blocks[0] == posted.blocks[0]  # the same words as posted
    assert "Reminder 1 of 3 · :white_check_mark: no more reminders: the incident was acknowledged." in str(
        stopped.blocks[-1]
    )
    assert (stopped.text, stopped.metadata) == (posted.text, posted.metadata)


def test_a_digest_reminder_lists_its_incidents_within_slacks_limits() -> None:
    incidents = [(f"inc-{n}", f"<b>alert</b> *{n}* " + "x" * 300) for n in range(500)]
    payload = reminder_message(
        thread_ts="100.1",
        step=1,
        times=1,
        waited=timedelta(hours=1, minutes=5),
        incidents=incidents,
        team_url="https://acme.app.coralogix.com",
        digest=True,
    )
    assert_valid_message(payload)
    text = str(payload.blocks)
    assert "*500 incidents of this storm still unacknowledged* after up to *1 hour 5 minutes*" in text
    assert "inc-0" in text and "+460 more" in text
    assert "<b>" not in text  # outside text is escaped


@pytest.mark.parametrize(
    ("entry", "shown"),
    [("U0BOB", "<@U0BOB>"), ("S0ONCALL", "<!subteam^S0ONCALL>"), ("<!here>", "<!here>"), ("@bob", "@bob")],
)
def test_mentions_are_written_as_slack_reads_them(entry: str, shown: str) -> None:
    assert mention(entry) == shown


@pytest.mark.parametrize(
    ("seconds", "label"), [(1800, "Snooze 30 min"), (7200, "Snooze 2 h"), (45, "Snooze 45 s")]
)
def test_the_snooze_label_says_how_long(seconds: int, label: str) -> None:
    assert snooze_label(seconds) == label


def test_the_snooze_line_says_who_and_until_when_in_the_readers_time() -> None:
    until = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
    payload = snoozed_note("U0BOB", until)
    assert_valid_message(payload)
    assert payload.text == "Reminders snoozed by <@U0BOB> until 14:30 UTC"
    assert f"<!date^{int(until.timestamp())}^{{time}}|14:30 UTC>" in str(payload.blocks)


def test_the_snooze_id_is_distinct_from_every_card_and_modal_id() -> None:
    shared = {a.value for a in ActionId} | {c.value for c in CallbackId}
    assert all(r.value not in shared and 0 < len(r.value) <= 255 for r in ReminderActionId)
