"""Issue 13, item 1 end to end: reminders of unacknowledged incidents, per route, on real bot processes.

Every step once across two replicas, a restart and a crash mid-send; they stop at acknowledge (from Slack
or from Coralogix); the Snooze button holds them and records who; a storm digest gets one reminder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.sandbox.slack import RunningSlackSandbox, SlackMessage
from bot.slack.blocks.reminder import reminder_message
from bot.store import Store
from bot.store.reminders import ReminderSeries, ReminderState
from tests.e2e.harness import (
    PERSONAL_KEYS,
    BotProcess,
    bot_env,
    free_port,
    running_bot,
    seed_personal_keys,
    wait_for,
    write_config,
)
from tests.e2e.slack_requests import SlackSender, block_actions
from tests.e2e.stand_in import StandIn
from tests.pg import fresh_postgres_url, require_postgres
from tests.scrape import Scrape

pytestmark = pytest.mark.postgres

CHANNEL = "C0PAYMENTS"
REMINDER = "coralogix_incident_reminder"
MENTION = ["S0ONCALL", "<@U0LEAD>"]


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = require_postgres()
    with fresh_postgres_url(admin) as url:
        yield url


def _config(remind: Mapping[str, Any] | None) -> dict[str, Any]:
    route: dict[str, Any] = {"name": "payments", "match": {"application": "shop"}, "channels": [CHANNEL]}
    if remind is not None:
        route["remind"] = dict(remind)
    return {
        "routes": [route],
        "users": [
            {"slack": "U0ALICE", "coralogix": "alice@example.com"},
            {"slack": "U0BOB", "coralogix": "bob@example.com"},
        ],
    }


def _env(
    coralogix: StandIn,
    slack: RunningSlackSandbox,
    database_url: str,
    tmp_path: Path,
    remind: Mapping[str, Any] | None,
    **extra: str,
) -> dict[str, str]:
    config = write_config(tmp_path / f"bot-{free_port()}.yaml", _config(remind))
    return bot_env(coralogix, slack, database_url, config_path=config, port=free_port(), extra=extra)


def _card(slack: RunningSlackSandbox, incident_id: str) -> SlackMessage | None:
    for message in slack.workspace.messages(CHANNEL):
        metadata = message.metadata or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == "coralogix_incident" and payload.get("incident_id") == incident_id:
            return message
    return None


def _reminders(slack: RunningSlackSandbox, thread_ts: str) -> list[SlackMessage]:
    return [
        reply
        for reply in slack.workspace.replies(CHANNEL, thread_ts)
        if (reply.metadata or {}).get("event_type") == REMINDER
    ]


def _steps(slack: RunningSlackSandbox, thread_ts: str) -> Counter[int]:
    """How many reminders of each step the thread holds."""
    return Counter(
        int(r.metadata["event_payload"]["step"]) for r in _reminders(slack, thread_ts) if r.metadata
    )


def _finished(store: Store, thread_ts: str, steps: int | None = None) -> bool:
    series = store.reminder_series(CHANNEL, thread_ts)
    return series is not None and series.next_due_at is None and (steps is None or series.steps_sent == steps)


def _replica_of(bot: BotProcess) -> str:
    for line in bot.log().splitlines():
        if "running as replica" in line:
            return line.split("running as replica ")[1].split(";")[0]
    raise AssertionError("the bot did not say which replica it is")


def _holder(bots: list[BotProcess], store: Store) -> BotProcess:
    holder = wait_for(lambda: store.lease_holder("poller"), 10, "a replica to hold the poller lease")
    return next(bot for bot in bots if _replica_of(bot) == holder)


def test_each_step_is_posted_once_across_two_replicas_a_restart_and_a_crash_mid_send(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    landed, lost = (sim.create_incident(name=f"checkout {n}", application="shop") for n in range(2))
    # 1. The cards are posted by a bot whose route does not remind yet.
    with running_bot(_env(coralogix, slack, database_url, tmp_path, None), tmp_path / "first.log"):
        cards = {i: wait_for(lambda i=i: _card(slack, i), 20, f"the card of {i}") for i in (landed, lost)}
    # 2. A replica died mid-send: it had claimed step 1 of both; one reminder reached Slack, one did not.
    store = Store.from_url(database_url)
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=1)
    try:
        for incident_id, card in cards.items():
            store.add_reminder_series(
                [
                    ReminderSeries(
                        CHANNEL, card.ts, "payments", {incident_id: "checkout"}, long_ago, next_due_at=now
                    )
                ]
            )
            assert store.claim_reminder(CHANNEL, card.ts, 1, "crashed-replica", long_ago)
        kept = reminder_message(
            thread_ts=cards[landed].ts,
            step=1,
            times=3,
            waited=timedelta(hours=1),
            incidents=[(landed, "checkout")],
        )
        slack.workspace.post_message(
            CHANNEL,
            text=kept.text,
            blocks=kept.blocks,
            metadata=kept.metadata,
            thread_ts=cards[landed].ts,
            reply_broadcast=True,
        )
        # 3. Two replicas now run with reminders on; the lease holder is restarted half way.
        remind = {"after": "1s", "every": "2s", "times": 3, "mention": MENTION}
        with ExitStack() as stack:
            bots = [
                stack.enter_context(
                    running_bot(
                        _env(coralogix, slack, database_url, tmp_path, remind), tmp_path / f"bot{n}.log"
                    )
                )
                for n in range(2)
            ]
            for card in cards.values():
                wait_for(lambda card=card: _steps(slack, card.ts)[2] >= 1, 30, "step 2 of each incident")
            holder = _holder(bots, store)
            env = dict(holder.env)
            holder.stop()
            stack.enter_context(running_bot(env, tmp_path / "restarted.log"))
            for card in cards.values():
                wait_for(lambda card=card: _finished(store, card.ts, 3), 30, "every step of each incident")
        for incident_id, card in cards.items():
            assert _steps(slack, card.ts) == Counter({1: 1, 2: 1, 3: 1}), incident_id
            assert store.reminder_steps(CHANNEL, card.ts) == dict.fromkeys((1, 2, 3), ReminderState.POSTED)
    finally:
        store.close()
    # broadcast: each reminder the bot posted is in the channel too, mentioning the route's targets
    posted = [r for r in _reminders(slack, cards[lost].ts)]
    in_channel = {m.ts for m in slack.workspace.channel_history(CHANNEL)}
    assert all(r.reply_broadcast and r.ts in in_channel for r in posted)
    assert "<!subteam^S0ONCALL>" in posted[-1].text and "<@U0LEAD>" in posted[-1].text
    assert "Still unacknowledged after 1 hour" in posted[0].text
    assert [b["elements"][0]["action_id"] for b in posted[0].blocks if b["type"] == "actions"] == [
        "incident_snooze"
    ]


def _click(bot: BotProcess, slack: RunningSlackSandbox, message: SlackMessage, action: str, user: str) -> str:
    body, response_url = block_actions(slack.workspace, message, action, user=user)
    answer = SlackSender(bot.url + "/slack/events").post(body)
    assert answer.status == 200, answer.body
    return response_url


def _answer(slack: RunningSlackSandbox, response_url: str) -> str | None:
    texts = [str(r.get("text", "")) for r in slack.workspace.responses(response_url)]
    return texts[-1] if texts else None


def test_reminders_stop_at_acknowledge_and_a_snooze_holds_them_and_says_who(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    acked_in_slack, acked_in_coralogix, snoozed, control = (
        sim.create_incident(name=name, application="shop")
        for name in ("acked in Slack", "acked in Coralogix", "snoozed", "control")
    )
    key = Fernet.generate_key().decode()
    remind = {"after": "1s", "every": "8s", "times": 3, "mention": MENTION}
    env = _env(
        coralogix,
        slack,
        database_url,
        tmp_path,
        remind,
        BOT_ENCRYPTION_KEY=key,
        BOT_SNOOZE_SECONDS="3600",
    )
    seed_personal_keys(database_url, key, PERSONAL_KEYS)
    store = Store.from_url(database_url)
    try:
        with running_bot(env, tmp_path / "bot.log") as bot:
            ids = (acked_in_slack, acked_in_coralogix, snoozed, control)
            cards = {i: wait_for(lambda i=i: _card(slack, i), 20, f"the card of {i}") for i in ids}
            # each is acted on as soon as its first reminder is in (the next is 8 s later)
            firsts: dict[str, SlackMessage] = {}

            def first(incident_id: str) -> SlackMessage:
                found = wait_for(
                    lambda: _reminders(slack, cards[incident_id].ts),
                    20,
                    f"the first reminder of {incident_id}",
                )
                firsts[incident_id] = found[0]
                return found[0]

            first(acked_in_slack)
            _click(bot, slack, cards[acked_in_slack], "incident_ack", "U0ALICE")
            first(acked_in_coralogix)
            sim.acknowledge(acked_in_coralogix, by="bob@example.com")
            # a guest cannot snooze; Bob (on call, mapped) can
            told = _click(bot, slack, first(snoozed), "incident_snooze", "U0BOB")
            refused = _click(bot, slack, first(control), "incident_snooze", "U0GUEST")
            assert "Snoozed" in wait_for(lambda: _answer(slack, told), 10, "Bob told of his snooze")
            assert "Snoozed" not in wait_for(lambda: _answer(slack, refused), 10, "the guest told no")
            wait_for(
                lambda: _finished(store, cards[control].ts, 3), 30, "every reminder of the control incident"
            )
            for incident_id in (acked_in_slack, acked_in_coralogix):
                wait_for(
                    lambda i=incident_id: _finished(store, cards[i].ts),
                    20,
                    f"the reminders of {incident_id} to end",
                )
                # its reminder is redrawn: the same words, the reason where the Snooze button was
                [redrawn] = wait_for(
                    lambda i=incident_id: [
                        r for r in _reminders(slack, cards[i].ts) if "no more reminders" in str(r.blocks)
                    ],
                    20,
                    f"the reminder of {incident_id} redrawn",
                )
                assert "the incident was acknowledged." in str(redrawn.blocks)
                assert "incident_snooze" not in str(redrawn.blocks)
                assert redrawn.blocks[0] == firsts[incident_id].blocks[0]
            assert "incident_snooze" in str(_reminders(slack, cards[snoozed].ts)[0].blocks)  # still running
            scrape = Scrape.parse(bot.get("/metrics")[1])
            assert scrape.total("incidentbot_reminders_total", outcome="posted") == 6  # 3 + 1 + 1 + 1
            assert scrape.total("incidentbot_reminders_total", outcome="stopped") == 2  # the acknowledged
        assert _steps(slack, cards[control].ts) == Counter({1: 1, 2: 1, 3: 1})
        for incident_id in (acked_in_slack, acked_in_coralogix):
            assert _steps(slack, cards[incident_id].ts) == Counter({1: 1}), incident_id
        # the snoozed one: nothing more until the snooze ends, and the thread says who and until when
        assert _steps(slack, cards[snoozed].ts) == Counter({1: 1})
        series = store.reminder_series(CHANNEL, cards[snoozed].ts)
        assert series is not None and series.snoozed_by == "U0BOB" and series.snoozed_until is not None
        assert series.next_due_at == series.snoozed_until
        assert series.snoozed_at is not None and series.snoozed_until - series.snoozed_at == timedelta(
            hours=1
        )
        notes = [
            r.text for r in slack.workspace.replies(CHANNEL, cards[snoozed].ts) if "snoozed by" in r.text
        ]
        assert len(notes) == 1 and "<@U0BOB>" in notes[0]
    finally:
        store.close()


def test_a_reminder_is_redrawn_when_its_incident_is_acknowledged_not_at_the_next_step(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    incident = sim.create_incident(name="acked long before the next step", application="shop")
    env = _env(coralogix, slack, database_url, tmp_path, {"after": "1s", "every": "1h", "times": 2})
    store = Store.from_url(database_url)
    try:
        with running_bot(env, tmp_path / "bot.log"):
            card = wait_for(lambda: _card(slack, incident), 20, "the card")
            wait_for(lambda: _reminders(slack, card.ts), 20, "the first reminder")
            sim.acknowledge(incident, by="bob@example.com")  # in Coralogix; the next step is an hour away
            [redrawn] = wait_for(
                lambda: [r for r in _reminders(slack, card.ts) if "no more reminders" in str(r.blocks)],
                20,
                "the reminder redrawn once the poll saw the acknowledgement",
            )
            assert _finished(store, card.ts, 1)
        assert "the incident was acknowledged." in str(redrawn.blocks)
        assert "incident_snooze" not in str(redrawn.blocks)
    finally:
        store.close()


def test_a_storm_digest_gets_one_reminder_listing_its_unacknowledged_incidents(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    ids = [sim.create_incident(name=f"storm {n}", application="shop") for n in range(4)]
    remind = {"after": "1s", "times": 1, "mention": MENTION}
    env = _env(coralogix, slack, database_url, tmp_path, remind, BOT_STORM_THRESHOLD="2")
    store = Store.from_url(database_url)
    try:
        with running_bot(env, tmp_path / "bot.log"):

            def digest() -> SlackMessage | None:
                for message in slack.workspace.messages(CHANNEL):
                    if (message.metadata or {}).get("event_type") == "coralogix_incident_digest":
                        return message
                return None

            posted = wait_for(digest, 20, "the storm digest")
            wait_for(lambda: _finished(store, posted.ts, 1), 20, "the digest's reminder")
        in_channel = [m for m in slack.workspace.channel_history(CHANNEL) if m.thread_ts is not None]
        assert len(in_channel) == 1, [m.text for m in in_channel]
        [reminder] = _reminders(slack, posted.ts)
        assert reminder.metadata is not None
        assert sorted(reminder.metadata["event_payload"]["incident_ids"]) == sorted(ids)
        listed = " ".join(str(block) for block in reminder.blocks)
        assert all(incident_id in listed for incident_id in ids)
        assert "4 incidents of this storm" in listed
    finally:
        store.close()
