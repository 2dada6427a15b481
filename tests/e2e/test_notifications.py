"""Issue 3 end to end: the bot process, the simulated Coralogix account (on Incidents, then on Cases) and
the Slack sandbox, over sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.slack import RunningSlackSandbox, SlackMessage
from tests.e2e.harness import (
    bot_env,
    free_port,
    polls_done,
    running_bot,
    wait_for,
    wait_for_polls,
    write_config,
)
from tests.e2e.stand_in import StandIn
from tests.scrape import Scrape

ROUTES = {
    "routes": [
        {
            "name": "payments",
            "match": {"application": ["payments", "shop"], "severity": ["critical", "error"]},
            "channels": ["C0PAYMENTS"],
            "mention": ["<!subteam^S0ONCALL>"],
        },
        {"name": "criticals", "match": {"severity": "critical"}, "channels": ["C0PLATFORM"]},
        {"name": "search", "match": {"application": "search"}, "channels": ["C0SEARCH"]},
    ],
    "users": [{"slack": "U0ALICE", "coralogix": "alice@example.com"}],
    "identity": {"email_domains": ["example.com"]},
}


def _cards(slack: RunningSlackSandbox, channel: str) -> dict[str, list[SlackMessage]]:
    """Top-level incident messages of a channel, by incident id (a list, so doubles show)."""
    found: dict[str, list[SlackMessage]] = {}
    for message in slack.workspace.messages(channel):
        metadata = message.metadata or {}
        if metadata.get("event_type") == "coralogix_incident":
            found.setdefault(metadata["event_payload"]["incident_id"], []).append(message)
    return found


def _env(coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path) -> dict[str, str]:
    config = write_config(tmp_path / "bot.yaml", ROUTES)
    return bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=config,
        port=free_port(),
        extra={"BOT_DEFAULT_CHANNEL": "C0INCIDENTS"},
    )


def test_routing_live_updates_and_restart(
    coralogix: StandIn, slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    sim = coralogix.sim
    now = datetime.now(UTC)
    old = sim.create_incident(
        name="old disk alert", severity="error", application="shop", created_at=now - timedelta(hours=5)
    )
    pay = sim.create_incident(
        name="checkout 5xx",
        severity="critical",
        application="shop",
        subsystem="checkout",
        created_at=now - timedelta(minutes=5),
    )
    search = sim.create_incident(
        name="search latency", severity="warning", application="search", created_at=now - timedelta(minutes=3)
    )
    other = sim.create_incident(
        name="auth errors", severity="info", application="auth", created_at=now - timedelta(minutes=2)
    )
    # a case cannot be muted: on Cases, the same incident is a card like any other
    muted = sim.create_incident(
        name="noisy",
        severity="critical",
        application="shop",
        muted=True,
        created_at=now - timedelta(minutes=1),
    )
    mutes = sim.api == "incidents"
    env = _env(coralogix, slack, tmp_path)
    log = tmp_path / "bot.log"

    with running_bot(env, log) as bot:
        wait_for(
            lambda: other in _cards(slack, "C0INCIDENTS"), 15, "the unmatched incident in the default channel"
        )
        wait_for(lambda: search in _cards(slack, "C0SEARCH"), 10, "the search incident")
        wait_for(lambda: pay in _cards(slack, "C0PLATFORM"), 10, "the critical incident in platform")
        if not mutes:
            both = ("C0PAYMENTS", "C0PLATFORM")
            wait_for(lambda: all(muted in _cards(slack, c) for c in both), 10, "the unmutable case")
        payments = _cards(slack, "C0PAYMENTS")
        assert sorted(payments) == sorted([pay] if mutes else [pay, muted])
        assert "<!subteam^S0ONCALL>" in payments[pay][0].text + str(payments[pay][0].blocks)
        # the backfill is bounded, muted incidents stay out unless a route asks for them
        everywhere = {c: _cards(slack, c) for c in ("C0PAYMENTS", "C0PLATFORM", "C0SEARCH", "C0INCIDENTS")}
        assert all(old not in cards for cards in everywhere.values())
        assert all(muted not in cards for cards in everywhere.values()) == mutes
        assert list(everywhere["C0INCIDENTS"]) == [other]
        assert list(everywhere["C0SEARCH"]) == [search]
        assert sorted(everywhere["C0PLATFORM"]) == sorted([pay] if mutes else [pay, muted])

        # created while the bot runs: the first poll that starts after it posts it (counted in polls: the
        # one in flight when it was created may have missed it, the next one may not)
        polls_before = polls_done(bot)
        fresh = sim.create_incident(name="payments api down", severity="error", application="payments")
        wait_for(lambda: fresh in _cards(slack, "C0PAYMENTS"), 30, "the new incident")
        assert polls_done(bot) <= polls_before + 2

        # changes from outside: the card is updated in place and the thread says who did it
        card = _cards(slack, "C0PAYMENTS")[pay][0]
        sim.acknowledge(pay, by="alice@example.com")
        wait_for(
            lambda: _thread_mentions(slack, "C0PAYMENTS", card.ts, "<@U0ALICE>"), 10, "ack in the thread"
        )
        sim.assign(pay, to="bob@example.com", by="alice@example.com")
        wait_for(
            lambda: _thread_mentions(slack, "C0PAYMENTS", card.ts, "<@U0BOB>"), 10, "assignment in the thread"
        )
        sim.resolve(pay, by="bob@example.com")
        wait_for(
            lambda: _thread_mentions(slack, "C0PAYMENTS", card.ts, "esolved"), 10, "resolve in the thread"
        )
        sim.close(pay, by="bob@example.com")
        wait_for(lambda: _thread_mentions(slack, "C0PAYMENTS", card.ts, "losed"), 10, "close in the thread")
        updated = slack.workspace.message("C0PAYMENTS", card.ts)
        assert updated.updates >= 4
        assert "incident_ack" not in str(updated.blocks)  # a closed card offers no actions but details
        # the same incident's card in the other channel was updated too
        platform_card = _cards(slack, "C0PLATFORM")[pay][0]
        wait_for(
            lambda: slack.workspace.message("C0PLATFORM", platform_card.ts).updates >= 4,
            10,
            "the card in platform updated as often (its channel's lane may finish later)",
        )
        status, metrics = bot.get("/metrics")
        assert status == 200
        cards_posted = sum(
            len(messages)
            for channel in ("C0PAYMENTS", "C0PLATFORM", "C0SEARCH", "C0INCIDENTS")
            for messages in _cards(slack, channel).values()
        )
        assert Scrape.parse(metrics).total("incidentbot_incidents_posted_total") == cards_posted

    posts_before = len(slack.workspace.calls_to("chat.postMessage"))
    snapshot = {
        c: {k: len(v) for k, v in _cards(slack, c).items()}
        for c in ("C0PAYMENTS", "C0PLATFORM", "C0SEARCH", "C0INCIDENTS")
    }
    # restart: nothing is posted twice
    with running_bot(env, log) as restarted:
        wait_for_polls(restarted, 3, "three polls after the restart")
        later = sim.create_incident(name="after restart", severity="critical", application="search")
        wait_for(lambda: later in _cards(slack, "C0SEARCH"), 5, "an incident created after the restart")
    for channel, counts in snapshot.items():
        now_counts = {k: len(v) for k, v in _cards(slack, channel).items()}
        for incident_id, count in counts.items():
            assert now_counts[incident_id] == count == 1
    new_posts = slack.workspace.calls_to("chat.postMessage")[posts_before:]
    top_level = [c for c in new_posts if not c.params.get("thread_ts")]
    assert len(top_level) == 2  # the new incident: search + platform channels


def _thread_mentions(slack: RunningSlackSandbox, channel: str, ts: str, needle: str) -> bool:
    return any(needle in (reply.text + str(reply.blocks)) for reply in slack.workspace.replies(channel, ts))
