"""Issue 14 end to end: scheduled shift reports posted once across replicas and restarts, late ones marked
late, and `/cx report` / `/cx stats mtta` answering bad input clearly; real bot processes, both APIs.

The bots' report clock is set with BOT_CLOCK_START (it starts there and runs at normal speed), so a
scheduled minute comes within seconds; the stand-in's incidents keep the real time, inside the period.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.sandbox.slack import RunningSlackSandbox, SlackMessage
from bot.store import Store
from bot.store.reports import RUN_POSTED
from tests.e2e.harness import BotProcess, bot_env, free_port, running_bot, wait_for, write_config
from tests.e2e.slack_requests import SlackSender, slash_command
from tests.e2e.stand_in import StandIn
from tests.pg import fresh_postgres_url, require_postgres

CHANNEL = "C0PAYMENTS"
REPORT = "coralogix_report"


def _scheduled_minute(ahead: timedelta = timedelta(minutes=2)) -> datetime:
    """A whole minute a little ahead of the real clock (the stand-in's incidents fall before it)."""
    return (datetime.now(UTC) + ahead).replace(second=0, microsecond=0)


def _config(tmp_path: Path, run: datetime) -> Path:
    return write_config(
        tmp_path / "bot.yaml",
        {
            "routes": [
                {
                    "name": "payments",
                    "match": {"application": "shop"},
                    "channels": [CHANNEL],
                    "report": {"at": run.strftime("%H:%M"), "tz": "UTC"},
                }
            ],
            "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
        },
    )


def _env(
    coralogix: StandIn, slack: RunningSlackSandbox, db: str, config: Path, clock: datetime
) -> dict[str, str]:
    return bot_env(
        coralogix,
        slack,
        db,
        config_path=config,
        port=free_port(),
        extra={"BOT_CLOCK_START": clock.isoformat()},
    )


def _reports(slack: RunningSlackSandbox) -> list[SlackMessage]:
    return [
        message
        for message in slack.workspace.messages(CHANNEL)
        if (message.metadata or {}).get("event_type") == REPORT
    ]


def _says(bot: BotProcess, needle: str) -> bool:
    return needle in bot.log()


def _seed(coralogix: StandIn) -> list[str]:
    sim = coralogix.sim
    ids = [sim.create_incident(name=f"checkout {n}", application="shop", severity="error") for n in range(3)]
    sim.create_incident(name="search down", application="search", severity="critical")  # another route's
    sim.acknowledge(ids[0], "alice@example.com")
    sim.resolve(ids[1], "alice@example.com")
    return ids


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_url(require_postgres()) as url:
        yield url


@pytest.mark.postgres
def test_a_scheduled_report_is_posted_once_by_two_replicas_and_a_restart(
    coralogix: StandIn, slack: RunningSlackSandbox, pg_url: str, tmp_path: Path
) -> None:
    _seed(coralogix)
    run = _scheduled_minute()
    config = _config(tmp_path, run)
    before = run - timedelta(seconds=10)
    posted = f"shift report of payments posted to {CHANNEL}"
    already = "shift report of payments for"
    with (
        running_bot(_env(coralogix, slack, pg_url, config, before), tmp_path / "a.log") as a,
        running_bot(_env(coralogix, slack, pg_url, config, before), tmp_path / "b.log") as b,
    ):
        [report] = wait_for(lambda: _reports(slack), 60, "the scheduled report")
        assert "Shift report: payments" in report.text and "3 new" in report.text
        assert report.metadata == {
            "event_type": REPORT,
            "event_payload": {"route": "payments", "run": run.isoformat()},
        }
        # the log line follows the post (posted, recorded, then said)
        holder = wait_for(
            lambda: a if _says(a, posted) else b if _says(b, posted) else None, 30, "the post logged"
        )
        standby = b if holder is a else a
        assert _says(holder, posted) and not _says(standby, posted)
        holder.stop()
        # the restart, still within the scheduled minute
        with running_bot(
            _env(coralogix, slack, pg_url, config, run + timedelta(seconds=20)), tmp_path / "c.log"
        ) as restarted:
            wait_for(lambda: _says(standby, already), 30, "the standby's look at the run after taking over")
            standby.stop()
            wait_for(lambda: _says(restarted, already), 30, "the restarted replica's look at the run")
            assert not _says(restarted, posted)
    assert len(_reports(slack)) == 1
    store = Store.from_url(pg_url)
    try:
        [row] = store.report_runs("payments")
    finally:
        store.close()
    assert (row.state, row.run_at, row.late, row.ts) == (RUN_POSTED, run, False, report.ts)


def test_a_run_missed_while_the_bot_was_down_is_posted_late_once(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    _seed(coralogix)
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    run = _scheduled_minute()
    config = _config(tmp_path, run)
    with running_bot(_env(coralogix, slack, db, config, run - timedelta(minutes=2)), tmp_path / "a.log"):
        store = Store.from_url(db)
        try:
            wait_for(lambda: store.schedule_armed_at("payments"), 30, "the schedule armed")
        finally:
            store.close()
    assert _reports(slack) == []  # stopped before its time
    later = run + timedelta(hours=2)
    with running_bot(_env(coralogix, slack, db, config, later), tmp_path / "b.log") as bot:
        [report] = wait_for(lambda: _reports(slack), 60, "the late report")
        assert report.text.endswith("(late)")
        assert ":warning: *Late*" in json.dumps(report.blocks)
        wait_for(lambda: _says(bot, "shift report of payments for"), 30, "the next look at the same run")
    assert len(_reports(slack)) == 1
    store = Store.from_url(db)
    try:
        [row] = store.report_runs("payments")
    finally:
        store.close()
    assert (row.state, row.late) == (RUN_POSTED, True)


def test_report_and_response_stats_on_demand_and_bad_input(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    _seed(coralogix)
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    run = _scheduled_minute(timedelta(hours=3))
    config = _config(tmp_path, run)
    with running_bot(_env(coralogix, slack, db, config, datetime.now(UTC)), tmp_path / "bot.log") as bot:
        sender = SlackSender(bot.url + "/slack/events")

        def command(text: str) -> tuple[dict[str, object], str]:
            body, response_url, _ = slash_command(slack.workspace, text, user="U0ALICE", channel=CHANNEL)
            answer = sender.post(body)
            assert answer.status == 200, answer
            return answer.json() or {}, response_url

        def answer_to(response_url: str) -> dict[str, object]:
            bodies = wait_for(lambda: slack.workspace.responses(response_url), 30, "the answer")
            return dict(bodies[0])

        bad_since, _ = command("report payments since=3x")
        assert "`since=` takes a span from 1 hour to 30 days, like `24h` or `7d`; got `3x`." in str(
            bad_since["text"]
        )
        bad_by, _ = command("stats mtta by=status")
        assert "groups by severity, app, assignee, route" in str(bad_by["text"])
        _, unknown = command("report nosuch")
        assert "There is no route called `nosuch`. Routes: `payments`." in json.dumps(answer_to(unknown))
        _, asked = command("report payments since=7d")
        answer = answer_to(asked)
        assert answer["response_type"] == "ephemeral"
        assert "Shift report: payments: 3 new, 1 resolved, 2 open" in str(answer["text"])
        _, public = command("report payments public")
        assert answer_to(public)["response_type"] == "in_channel"
        _, stats = command("stats mttr by=route")
        text = json.dumps(answer_to(stats))
        assert "MTTR of the last 7 days, by route" in text and "*payments*" in text
