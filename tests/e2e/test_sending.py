"""Issue 15 end to end: no channel waits for another, urgent cards first, waiting lines merged.

The Slack sandbox enforces Slack's pace (a second post to a channel within 0.9 s is refused with 429), so
a channel's backlog takes real seconds to drain; the assertions are about order (which message Slack got
before which), never about wall-clock times.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.sandbox.slack import RunningSlackSandbox, SlackMessage, SlackWorkspace, start_slack_sandbox
from bot.store import Store
from tests.e2e.harness import BotProcess, bot_env, free_port, polls_done, running_bot, wait_for, write_config
from tests.pg import fresh_postgres_url, require_postgres


class Coralogix(Protocol):
    """A running simulated Coralogix account (either API): where it listens, and its controls."""

    @property
    def address(self) -> str: ...

    @property
    def sim(self) -> Any: ...


A, B = "C0PAYMENTS", "C0SEARCH"
ROUTES = {
    "routes": [
        {"name": "shop", "match": {"application": "shop"}, "channels": [A]},
        {"name": "search", "match": {"application": "search"}, "channels": [B]},
    ]
}
PACE_GAP = 0.9
PEOPLE = ("alice@example.com", "bob@example.com", "carol@example.com")


@pytest.fixture
def paced_slack() -> Iterator[RunningSlackSandbox]:
    workspace = SlackWorkspace.with_defaults()
    workspace.faults.enforce_channel_pacing(per_second=1 / PACE_GAP, burst=1)
    running = start_slack_sandbox(workspace)
    yield running
    running.stop()


def _env(coralogix: Coralogix, slack: RunningSlackSandbox, tmp_path: Path) -> dict[str, str]:
    return bot_env(
        coralogix,
        slack,
        f"sqlite:///{tmp_path / 'bot.db'}",
        config_path=write_config(tmp_path / "bot.yaml", ROUTES),
        port=free_port(),
        extra={"BOT_STORM_THRESHOLD": "1000"},
    )


def _cards(workspace: SlackWorkspace, channel: str) -> dict[str, SlackMessage]:
    return {
        str((m.metadata or {}).get("event_payload", {}).get("incident_id")): m
        for m in workspace.messages(channel)
        if (m.metadata or {}).get("event_type") == "coralogix_incident"
    }


def _thread_posts(workspace: SlackWorkspace, channel: str) -> list[SlackMessage]:
    return sorted(
        (reply for card in workspace.messages(channel) for reply in workspace.replies(channel, card.ts)),
        key=lambda reply: float(reply.ts),
    )


def _wait_polls(bot: BotProcess, count: int) -> None:
    seen = polls_done(bot)
    wait_for(lambda: polls_done(bot) >= seen + count, 30, f"{count} polls")


def _lines(workspace: SlackWorkspace, channel: str) -> int:
    return sum(len(reply.text.splitlines()) for reply in _thread_posts(workspace, channel))


def test_a_channels_waiting_thread_lines_hold_up_no_new_card_anywhere(
    coralogix: Coralogix, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """A has 60 thread lines waiting (its pace lets out about one reply a second); a new critical incident
    for B, and one for A itself, are both posted before A's waiting lines are all out."""
    sim = coralogix.sim
    workspace = paced_slack.workspace
    with running_bot(_env(coralogix, paced_slack, tmp_path), tmp_path / "bot.log"):
        a_ids = [sim.create_incident(application="shop", severity="warning") for _ in range(12)]
        wait_for(lambda: set(a_ids) <= set(_cards(workspace, A)), 60, "A's twelve cards")
        for round_ in range(5):  # 60 changes, each a thread line: a dozen replies to send at Slack's pace
            for incident_id in a_ids:
                sim.assign(incident_id, PEOPLE[round_ % 3], by="dave@example.com")
        wait_for(lambda: _thread_posts(workspace, A), 30, "A's first thread reply: the rest wait their turn")

        b_critical = sim.create_incident(application="search", severity="critical")
        a_critical = sim.create_incident(application="shop", severity="critical")
        wait_for(lambda: b_critical in _cards(workspace, B), 60, "B's critical card")
        wait_for(lambda: a_critical in _cards(workspace, A), 60, "A's critical card")
        wait_for(lambda: _lines(workspace, A) >= 60, 120, "every thread line in A")

    last_line = float(_thread_posts(workspace, A)[-1].ts)
    assert float(_cards(workspace, B)[b_critical].ts) < last_line, "B's new card waited for A's thread lines"
    assert float(_cards(workspace, A)[a_critical].ts) < last_line, "A's critical card waited for its lines"
    refused = [call for call in workspace.calls_to("chat.postMessage") if call.status == 429]
    assert refused == [], "the senders went faster than Slack's pace"


def test_lines_waiting_for_one_card_go_as_one_reply(
    coralogix: Coralogix, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """While A is busy with new cards (which go first), five changes to one incident, seen by different
    polls, wait; they then go as one reply with the five lines."""
    sim = coralogix.sim
    workspace = paced_slack.workspace
    with running_bot(_env(coralogix, paced_slack, tmp_path), tmp_path / "bot.log") as bot:
        watched = sim.create_incident(application="shop", severity="warning")
        wait_for(lambda: watched in _cards(workspace, A), 30, "the watched card")
        busy = [sim.create_incident(application="shop", severity="warning") for _ in range(20)]
        wait_for(lambda: polls_done(bot) and any(i in _cards(workspace, A) for i in busy), 30, "A busy")
        changes: list[Callable[[], object]] = [
            lambda: sim.assign(watched, "alice@example.com", by="dave@example.com"),
            lambda: sim.acknowledge(watched, by="alice@example.com"),
            lambda: sim.assign(watched, "bob@example.com", by="dave@example.com"),
            lambda: sim.set_severity(watched, "error"),
            lambda: sim.assign(watched, "carol@example.com", by="dave@example.com"),
        ]
        for change in changes:
            change()
            _wait_polls(bot, 2)  # each change seen by a poll of its own
        assert not set(busy) <= set(_cards(workspace, A)), "A was not busy: the test proves nothing"
        card = _cards(workspace, A)[watched]
        wait_for(lambda: set(busy) <= set(_cards(workspace, A)), 60, "A's new cards")
        wait_for(lambda: workspace.replies(A, card.ts), 30, "the reply under the watched card")

    [reply] = workspace.replies(A, card.ts)
    assert len(reply.text.splitlines()) >= len(changes), reply.text


@pytest.mark.postgres
def test_two_replicas_and_a_sigkill_of_the_sender_mid_drain_lose_and_double_nothing(
    coralogix: Coralogix, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """Fifteen cards queued for one channel drain at Slack's pace on the lease holder; it is killed mid-drain
    (a post may be in flight); the other replica takes the lease, repairs and sends the rest: each card
    once."""
    sim, workspace = coralogix.sim, paced_slack.workspace
    with fresh_postgres_url(require_postgres()) as url, ExitStack() as stack:
        bots = []
        for n in range(2):
            env = _env(coralogix, paced_slack, tmp_path) | {"BOT_DATABASE_URL": url}
            bots.append(stack.enter_context(running_bot(env, tmp_path / f"bot{n}.log")))
        workspace.faults.slow(0.3, "chat.postMessage")  # so that the kill may land mid-post
        ids = [sim.create_incident(application="shop", severity="warning") for _ in range(15)]
        wait_for(lambda: len(_cards(workspace, A)) >= 4, 60, "the drain under way")
        store = Store.from_url(url)
        try:
            holder = store.lease_holder("poller")
        finally:
            store.close()
        sender = next(bot for bot in bots if _replica_of(bot) == holder)
        sender.stop(signal.SIGKILL)
        assert len(_cards(workspace, A)) < len(ids), "the drain was over: the test proves nothing"
        wait_for(lambda: set(ids) <= set(_cards(workspace, A)), 120, "every card after the take-over")

    posted = [(m.metadata or {}).get("event_payload", {}).get("incident_id") for m in workspace.messages(A)]
    doubled = {i for i in posted if posted.count(i) > 1}
    assert not doubled, f"posted twice: {doubled}"


def _replica_of(bot: BotProcess) -> str:
    for line in bot.log().splitlines():
        if "running as replica" in line:
            return line.split("running as replica ")[1].split(";")[0]
    raise AssertionError("the bot did not say which replica it is")


def _updates(workspace: SlackWorkspace, channel: str, ts: str) -> list[dict[str, Any]]:
    """The card redraws Slack accepted for the message `ts`."""
    return [
        call.params
        for call in workspace.calls_to("chat.update")
        if call.ok and call.params.get("channel") == channel and call.params.get("ts") == ts
    ]


def test_five_quick_changes_while_the_channel_is_busy_are_one_card_update_and_one_reply(
    coralogix: Coralogix, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """A's send slot is held by another card's redraw (Slack answers chat.update slowly); five changes to
    the watched incident arrive meanwhile, seen by two polls: once the slot is free the watched card is
    redrawn once, with the last state, and its five lines go as one reply."""
    sim = coralogix.sim
    workspace = paced_slack.workspace
    with running_bot(_env(coralogix, paced_slack, tmp_path), tmp_path / "bot.log") as bot:
        holder = sim.create_incident(application="shop", severity="warning")
        watched = sim.create_incident(application="shop", severity="warning")
        wait_for(lambda: {holder, watched} <= set(_cards(workspace, A)), 30, "both cards")
        holder_ts, card = _cards(workspace, A)[holder].ts, _cards(workspace, A)[watched]
        workspace.faults.slow(6.0, "chat.update")
        sim.assign(holder, "dave@example.com", by="dave@example.com")
        _wait_polls(bot, 2)  # the holder's redraw is queued and taken: A's slot is busy for 6 s
        sim.assign(watched, "alice@example.com", by="dave@example.com")
        sim.acknowledge(watched, by="alice@example.com")
        _wait_polls(bot, 2)
        sim.assign(watched, "bob@example.com", by="dave@example.com")
        sim.set_severity(watched, "error")
        sim.assign(watched, "carol@example.com", by="dave@example.com")
        _wait_polls(bot, 2)  # the five changes, seen by two polls at least
        assert not _updates(workspace, A, holder_ts), "A's slot was free again: the test proves nothing"
        wait_for(lambda: _updates(workspace, A, card.ts), 60, "the watched card's redraw")
        wait_for(lambda: workspace.replies(A, card.ts), 60, "the reply under the watched card")
        _wait_polls(bot, 2)

    [update] = _updates(workspace, A, card.ts)
    assert "carol" in str(update).lower(), "the redraw did not show the last state"
    [reply] = workspace.replies(A, card.ts)
    assert len(reply.text.splitlines()) >= 5, reply.text


def test_at_retention_zero_a_closed_incident_goes_once_final_and_is_never_posted_again(
    coralogix: Coralogix, paced_slack: RunningSlackSandbox, tmp_path: Path
) -> None:
    """`BOT_RETENTION_DAYS=0`: a closed incident's rows go once its card shows the close; when Coralogix
    lists it again (it changed after the close), the bot does not take it for a new incident."""
    sim = coralogix.sim
    workspace = paced_slack.workspace
    env = _env(coralogix, paced_slack, tmp_path) | {"BOT_RETENTION_DAYS": "0"}
    store = Store.from_url(env["BOT_DATABASE_URL"])
    try:
        with running_bot(env, tmp_path / "bot.log") as bot:
            gone = sim.create_incident(application="shop", severity="warning")
            kept = sim.create_incident(application="shop", severity="warning")
            wait_for(lambda: {gone, kept} <= set(_cards(workspace, A)), 30, "the cards")
            card = _cards(workspace, A)[gone]
            sim.close(gone, by="alice@example.com")
            wait_for(lambda: store.get_snapshot(gone) is None, 90, "the closed incident pruned")
            assert _updates(workspace, A, card.ts), "pruned before its card showed the close"
            assert store.message(gone, "C0PAYMENTS") is None
            assert store.get_snapshot(kept) is not None, "an open incident was pruned"

            sim.set_severity(gone, "critical")  # Coralogix lists it again, closed
            wait_for(lambda: _pruned(bot) >= 2, 90, "the closed incident seen again (and pruned again)")
            _wait_polls(bot, 2)
    finally:
        store.close()

    cards = [m for m in workspace.messages(A) if _incident_of(m) == gone]
    assert len(cards) == 1, "the pruned incident was posted again"


def _pruned(bot: BotProcess) -> float:
    from tests.scrape import Scrape

    return Scrape.parse(bot.get("/metrics")[1]).total(
        "incidentbot_pruned_rows_total", kind="closed_incidents"
    )


def _incident_of(message: SlackMessage) -> str | None:
    payload = (message.metadata or {}).get("event_payload") or {}
    return str(payload["incident_id"]) if "incident_id" in payload else None
