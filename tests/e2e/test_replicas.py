"""Issue 5 end to end: real bot processes on one real PostgreSQL, with crashes, outages and storms, on an
account that speaks Incidents and on one that speaks Cases."""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.sandbox.slack import RunningSlackSandbox
from bot.store import Store
from tests.e2e.harness import (
    BotProcess,
    bot_env,
    free_port,
    running_bot,
    wait_for,
    wait_for_polls,
    write_config,
)
from tests.e2e.stand_in import Account, StandIn
from tests.pg import fresh_postgres_url, require_postgres
from tests.scrape import Scrape

pytestmark = pytest.mark.postgres

ROUTES = {
    "routes": [
        {"name": "shop", "match": {"application": ["shop", "payments"]}, "channels": ["C0PAYMENTS"]},
        {"name": "search", "match": {"application": "search"}, "channels": ["C0SEARCH"]},
        {"name": "critical", "match": {"severity": "critical"}, "channels": ["C0PLATFORM"]},
    ]
}
CHANNELS = ("C0PAYMENTS", "C0SEARCH", "C0PLATFORM", "C0INCIDENTS")


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = require_postgres()
    with fresh_postgres_url(admin) as url:
        yield url


def _env(
    coralogix: StandIn,
    slack: RunningSlackSandbox,
    database_url: str,
    tmp_path: Path,
    **extra: str,
) -> dict[str, str]:
    config = write_config(tmp_path / "bot.yaml", ROUTES)
    return bot_env(
        coralogix,
        slack,
        database_url,
        config_path=config,
        port=free_port(),
        extra={"BOT_DEFAULT_CHANNEL": "C0INCIDENTS", **extra},
    )


def _top_level_cards(slack: RunningSlackSandbox) -> dict[tuple[str, str], int]:
    """(channel, incident id) -> how many top-level cards Slack holds for it."""
    counts: dict[tuple[str, str], int] = {}
    for channel in CHANNELS:
        for message in slack.workspace.messages(channel):
            metadata = message.metadata or {}
            if metadata.get("event_type") == "coralogix_incident":
                key = (channel, metadata["event_payload"]["incident_id"])
                counts[key] = counts.get(key, 0) + 1
    return counts


def _expected_channels(sim: Account, incident_id: str) -> set[str]:
    app = sim.application(incident_id)
    channels = set()
    if app in ("shop", "payments"):
        channels.add("C0PAYMENTS")
    if app == "search":
        channels.add("C0SEARCH")
    if sim.severity(incident_id) == "critical":
        channels.add("C0PLATFORM")
    return channels or {"C0INCIDENTS"}


def _all_posted_once(slack: RunningSlackSandbox, sim: Account, ids: list[str]) -> bool:
    cards = _top_level_cards(slack)
    expected = {(channel, i) for i in ids for channel in _expected_channels(sim, i)}
    return set(cards) >= expected


def _assert_exactly_once(slack: RunningSlackSandbox, sim: Account, ids: list[str]) -> None:
    cards = _top_level_cards(slack)
    doubled = {key: n for key, n in cards.items() if n != 1}
    assert not doubled, f"posted more than once: {doubled}"
    expected = {(channel, i) for i in ids for channel in _expected_channels(sim, i)}
    assert set(cards) == expected


def _new_incidents(sim: Account, count: int) -> list[str]:
    apps = ["shop", "payments", "search", "auth"]
    severities = ["warning", "error", "critical", "info"]
    return [
        sim.create_incident(
            name=f"incident {n}", application=apps[n % len(apps)], severity=severities[(n // 4) % 4]
        )
        for n in range(count)
    ]


def test_two_replicas_post_every_incident_once_and_survive_the_poller_dying(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    first = _new_incidents(sim, 6)
    with ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(_env(coralogix, slack, database_url, tmp_path), tmp_path / f"bot{n}.log")
            )
            for n in range(2)
        ]
        wait_for(lambda: _all_posted_once(slack, sim, first), 20, "the first incidents in every channel")
        more = _new_incidents(sim, 6)
        wait_for(lambda: _all_posted_once(slack, sim, first + more), 20, "incidents created while both run")
        # both replicas answer health checks; exactly one holds the lease
        for bot in bots:
            assert bot.get("/healthz")[0] == 200
        store = Store.from_url(database_url)
        try:
            holder = store.lease_holder("poller")
            assert holder is not None
            poller = next(b for b in bots if _replica_of(b) == holder)
            standby = next(b for b in bots if b is not poller)
            # the polling replica dies without a word; the other takes over within two lease periods
            poller.stop(signal.SIGKILL)
            during = _new_incidents(sim, 4)
            wait_for(
                lambda: store.lease_holder("poller") == _replica_of(standby),
                2 * 3 + 2,
                "the standby replica to take the lease",
            )
            wait_for(lambda: _all_posted_once(slack, sim, first + more + during), 15, "nothing lost")
        finally:
            store.close()
    _assert_exactly_once(slack, sim, first + more + during)


def _replica_of(bot: BotProcess) -> str:
    for line in bot.log().splitlines():
        if "running as replica" in line:
            return line.split("running as replica ")[1].split(";")[0]
    raise AssertionError("the bot did not say which replica it is")


def _wait_for_posts(slack: RunningSlackSandbox, count: int) -> None:
    wait_for(lambda: len(slack.workspace.calls_to("chat.postMessage")) >= count, 30, f"{count} posts")


def test_sigkill_while_posting_then_restart_leaves_every_incident_posted_once(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    slack.workspace.faults.slow(0.05, "chat.postMessage")  # so that kills land mid-posting
    env = _env(coralogix, slack, database_url, tmp_path, BOT_STORM_THRESHOLD="1000")
    ids: list[str] = []
    rng = random.Random(5)
    for round_number in range(3):
        ids += _new_incidents(sim, 5)
        posts = len(slack.workspace.calls_to("chat.postMessage"))
        with running_bot(env, tmp_path / f"kill{round_number}.log") as bot:
            # killed mid-posting: once Slack has received a random number of this round's posts
            _wait_for_posts(slack, posts + rng.randint(1, 4))
            bot.stop(signal.SIGKILL)
    slack.workspace.faults.clear()
    with running_bot(env, tmp_path / "final.log") as final:
        # the floor is Slack's pace: about one message a second in the busiest channel
        try:
            wait_for(lambda: _all_posted_once(slack, sim, ids), 60, "every incident after the crashes")
        except AssertionError:
            cards = _top_level_cards(slack)
            store = Store.from_url(database_url)
            for i in ids:
                for channel in _expected_channels(sim, i):
                    if (channel, i) not in cards:
                        print("MISSING", channel, i, store.message(i, channel), store.get_snapshot(i))
            print("OUTBOX", store.pending_count())
            raise
        wait_for_polls(final, 2, "a couple more polls: nothing may be posted again")
    _assert_exactly_once(slack, sim, ids)


def test_coralogix_outage_loses_nothing_and_readyz_says_so(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    before = _new_incidents(sim, 3)
    with running_bot(_env(coralogix, slack, database_url, tmp_path), tmp_path / "bot.log") as bot:
        wait_for(lambda: _all_posted_once(slack, sim, before), 15, "the first incidents")
        wait_for(lambda: bot.get("/readyz")[0] == 200, 10, "ready")
        sim.faults.unavailable_for_seconds(5)  # several poll intervals (1 s)
        during = _new_incidents(sim, 4)
        sim.acknowledge(before[0], by="alice@example.com")

        def not_ready() -> str | None:
            status, body = bot.get("/readyz")
            return body if status == 503 else None

        reason = wait_for(not_ready, 10, "/readyz to report the outage")
        assert "coralogix" in reason.lower()
        wait_for(lambda: _all_posted_once(slack, sim, before + during), 30, "catching up after the outage")
        wait_for(lambda: bot.get("/readyz")[0] == 200, 15, "ready again")
        metrics = Scrape.parse(bot.get("/metrics")[1])
        listed = sim.rpc("ListIncidents")
        assert metrics.total("incidentbot_coralogix_calls_total", rpc=listed, code="UNAVAILABLE") > 0
        assert metrics.total("incidentbot_poll_errors_total", reason="UNAVAILABLE") > 0
    _assert_exactly_once(slack, sim, before + during)


def test_slack_rate_limits_lose_and_double_nothing(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    env = _env(coralogix, slack, database_url, tmp_path, BOT_STORM_THRESHOLD="1000")
    with running_bot(env, tmp_path / "bot.log") as bot:
        wait_for(lambda: bot.get("/readyz")[0] == 200, 10, "ready")
        slack.workspace.faults.rate_limit("chat.postMessage", seconds=4, retry_after=1)
        ids = _new_incidents(sim, 12)
        wait_for(lambda: _all_posted_once(slack, sim, ids), 40, "every incident once the 429s stop")
        wait_for_polls(bot, 2, "a couple more polls: nothing may be posted again")
        seen_by_bot = Scrape.parse(bot.get("/metrics")[1]).total(
            "incidentbot_slack_rate_limited_total", method="chat.postMessage"
        )
    limited = [c for c in slack.workspace.calls_to("chat.postMessage") if c.status == 429]
    assert limited, "the fault did not bite"
    assert seen_by_bot == len(limited)  # every 429 Slack answered was counted, once
    _assert_exactly_once(slack, sim, ids)


def test_a_storm_gives_one_digest_per_channel_plus_the_critical_cards(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    sim = coralogix.sim
    env = _env(coralogix, slack, database_url, tmp_path, BOT_STORM_THRESHOLD="5")
    with running_bot(env, tmp_path / "bot.log") as bot:
        wait_for(lambda: bot.get("/readyz")[0] == 200, 10, "ready")
        # all in one poll, as in a storm: no poll reads Coralogix while they are created
        sim.faults.unavailable_for_seconds(3600)
        ids = _new_incidents(sim, 40)
        sim.faults.clear()
        critical = [i for i in ids if sim.severity(i) == "critical"]

        def digests() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for channel in CHANNELS:
                for message in slack.workspace.messages(channel):
                    metadata = message.metadata or {}
                    if metadata.get("event_type") == "coralogix_incident_digest":
                        found.setdefault(channel, []).append(message.ts)
            return found

        # over 5 new incidents a channel in one poll is a storm: shop+payments 20, search 10, the rest
        # (auth) unrouted -> default 8 (its 2 criticals go to platform only); platform: the 8 criticals
        wait_for(lambda: len(digests()) == 3, 30, "a digest in each stormed channel")
        wait_for(
            lambda: {i for (c, i) in _top_level_cards(slack) if c == "C0PLATFORM"} == set(critical),
            60,
            "the critical cards in platform",
        )
        found = digests()
        assert all(len(ts_list) == 1 for ts_list in found.values()), found
        assert "C0PLATFORM" not in found  # 8 criticals are a storm there too, but criticals stay cards
        cards = _top_level_cards(slack)
        non_critical_cards = [key for key in cards if key[1] not in critical]
        assert not non_critical_cards
        # the digest follows its incidents
        payments_digest = found["C0PAYMENTS"][0]
        before = slack.workspace.message("C0PAYMENTS", payments_digest).updates
        member = next(i for i in ids if i not in critical and _expected_channels(sim, i) == {"C0PAYMENTS"})
        sim.acknowledge(member, by="alice@example.com")
        wait_for(
            lambda: slack.workspace.message("C0PAYMENTS", payments_digest).updates > before,
            10,
            "the digest to be updated",
        )


def test_sigterm_releases_the_lease_and_exits_quickly(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    _new_incidents(coralogix.sim, 3)
    with running_bot(_env(coralogix, slack, database_url, tmp_path), tmp_path / "bot.log") as bot:
        store = Store.from_url(database_url)
        try:
            wait_for(lambda: store.lease_holder("poller") is not None, 10, "the lease")
            # a clean exit (0) within the wait; past it, the harness kills the bot and the code is -9
            code = bot.stop(signal.SIGTERM, timeout=12)
            assert code == 0
            assert store.lease_holder("poller", datetime.now(UTC) - timedelta(seconds=0)) is None
        finally:
            store.close()


def test_simultaneous_clicks_on_two_replicas_make_one_write(
    coralogix: StandIn, slack: RunningSlackSandbox, database_url: str, tmp_path: Path
) -> None:
    import threading

    from tests.e2e.slack_requests import SlackSender, block_actions

    sim = coralogix.sim
    [incident] = _new_incidents(sim, 1)
    config = write_config(tmp_path / "bot.yaml", {**ROUTES, "identity": {"email_domains": ["example.com"]}})
    with ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(
                    bot_env(coralogix, slack, database_url, config_path=config, port=free_port()),
                    tmp_path / f"bot{n}.log",
                )
            )
            for n in range(2)
        ]
        wait_for(lambda: _all_posted_once(slack, sim, [incident]), 20, "the card")
        [channel] = _expected_channels(sim, incident)
        card = next(
            m
            for m in slack.workspace.messages(channel)
            if (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident
        )
        sim.faults.slow(0.5, rpc="ResolveIncidents")
        users = ["U0ALICE", "U0BOB", "U0CAROL", "U0LEAD", "U0ALICE", "U0BOB"]
        clicks = [
            (bots[n % 2], block_actions(slack.workspace, card, "incident_resolve", user=user)[0])
            for n, user in enumerate(users)
        ]
        start = threading.Barrier(len(clicks))

        def click(bot: BotProcess, body: bytes) -> None:
            start.wait()
            SlackSender(bot.url + "/slack/events").post(body)

        threads = [threading.Thread(target=click, args=pair) for pair in clicks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        wait_for(lambda: sim.calls_to("ResolveIncidents"), 15, "the resolve")
        wait_for(lambda: len(slack.workspace.responses()) >= len(users) - 1, 15, "answers to the others")
    assert len(sim.calls_to("ResolveIncidents")) == 1
    lines = [r.text for r in slack.workspace.replies(channel, card.ts) if "Resolved by" in r.text]
    assert len(lines) == 1
