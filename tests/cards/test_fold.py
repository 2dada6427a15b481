"""Thread lines of a closed incident that waited too long for the channel's pace go on its card instead.

A real Dispatcher, outbox on SQLite and gateway to the Slack sandbox over its socket (the gateway's own
pacing off, so nothing but the fold keeps a line from the thread); the incidents live in the simulated
IncidentsService.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.cards import CardSender
from bot.cards.dispatch import Dispatcher
from bot.cards.refresh import snapshot_of
from bot.cards.work import ThreadReply
from bot.coralogix.client import IncidentsClient
from bot.metrics import Metrics
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.slack.blocks.card import FOLDED_INTRO, folded_lines
from bot.slack.limits import MAX_SECTION_TEXT
from bot.store import Store
from tests.cards.conftest import Replica, replica
from tests.e2e.harness import wait_for

CHANNEL = "C0INCIDENTS"
LINES = ("Acknowledged by alice@example.com", "Resolved by bob@example.com", "Closed by carol@example.com")


def _card_ts(sender: CardSender, client: IncidentsClient, store: Store, incident_id: str) -> str:
    """Post the incident's card as the bot does and remember what it knows of the incident now."""
    now = datetime.now(UTC)
    store.claim_messages([(incident_id, CHANNEL)], "r1", now)
    incident = client.get_incident(incident_id)
    assert sender.post_card(incident, CHANNEL, [], defer=False)
    store.upsert_snapshot(snapshot_of(incident, 0, [CHANNEL]))
    message = store.message(incident_id, CHANNEL)
    assert message is not None and message.ts is not None
    return message.ts


def _run(
    coralogix: RunningCoralogixSandbox,
    slack: RunningSlackSandbox,
    client: IncidentsClient,
    store: Store,
    fold_after: timedelta,
) -> tuple[str, str, Metrics]:
    """A closed incident and an open one, each with thread lines waiting; the senders run until the outbox
    is empty. Returns the two cards' ts and the metrics."""
    r1 = replica("r1", store, client, slack)
    sender, metrics = r1.sender, r1.metrics
    closed = coralogix.sim.create_incident(severity="warning", application="shop")
    still_open = coralogix.sim.create_incident(severity="warning", application="shop")
    closed_ts, open_ts = (_card_ts(sender, client, store, i) for i in (closed, still_open))
    coralogix.sim.close(closed, "carol@example.com")
    store.upsert_snapshot(snapshot_of(client.get_incident(closed), 3, [CHANNEL]))
    for n, line in enumerate(LINES):
        sender.queue(ThreadReply(closed_ts, (line,), closed), CHANNEL, key=f"events:{n}")
    sender.queue(ThreadReply(open_ts, ("Assigned to bob@example.com",), still_open), CHANNEL, key="events:1")
    _drain(r1, store, fold_after)
    return closed_ts, open_ts, metrics


def _drain(sending: Replica, store: Store, fold_after: timedelta) -> None:
    """Run one sender over the outbox until it is empty."""
    dispatcher = Dispatcher(
        outbox=sending.outbox,
        store=store,
        gateway=sending.gateway,
        metrics=sending.metrics,
        may_send=lambda: True,
        workers=1,
        fold_after=fold_after,
    )
    dispatcher.start()
    try:
        wait_for(lambda: store.pending_count() == 0, 30, "the outbox drained")
    finally:
        dispatcher.stop()


def _texts(blocks: list[dict[str, object]]) -> str:
    return repr(blocks)


def test_a_closed_incidents_long_waiting_lines_go_on_its_card_not_in_its_thread(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    closed_ts, open_ts, metrics = _run(coralogix, slack, client, store, fold_after=timedelta(0))

    workspace = slack.workspace
    assert workspace.replies(CHANNEL, closed_ts) == [], "a folded line was posted in the thread too"
    card = workspace.message(CHANNEL, closed_ts)
    shown = _texts(card.blocks)
    assert FOLDED_INTRO in shown
    for line in LINES:
        assert line in shown, f"{line!r} is on neither the card nor the thread"
    assert shown.index(LINES[0]) < shown.index(LINES[2]), "the folded lines are out of order"
    # an open incident's lines are never folded: its card will change again and drop them
    assert [r.text for r in workspace.replies(CHANNEL, open_ts)] == ["Assigned to bob@example.com"]
    assert FOLDED_INTRO not in _texts(workspace.message(CHANNEL, open_ts).blocks)
    assert metrics.thread_lines_folded._value.get() == len(LINES)


def test_a_card_keeps_its_folded_lines_through_a_second_fold_and_a_redraw(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    closed_ts, _open_ts, _metrics = _run(coralogix, slack, client, store, fold_after=timedelta(0))
    message = store.message_by_ts(CHANNEL, closed_ts)
    assert message is not None and message.folded == LINES
    r2 = replica("r2", store, client, slack)
    later = "Reopened? no: note by dave@example.com"
    r2.sender.queue(ThreadReply(closed_ts, (later,), message.incident_id), CHANNEL, key="events:9")
    _drain(r2, store, timedelta(0))
    shown = _texts(slack.workspace.message(CHANNEL, closed_ts).blocks)
    assert all(line in shown for line in (*LINES, later)), "the second fold dropped the first one's lines"

    # a later redraw of the closed card (an edit after the close, say) draws them again
    message = store.message_by_ts(CHANNEL, closed_ts)
    assert message is not None
    assert r2.sender.update_card(client.get_incident(message.incident_id), message, defer=False)
    shown = _texts(slack.workspace.message(CHANNEL, closed_ts).blocks)
    assert all(line in shown for line in (*LINES, later)), "a redraw dropped the folded lines"


def test_lines_that_have_not_waited_long_go_in_the_thread_as_always(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    closed_ts, _open_ts, metrics = _run(coralogix, slack, client, store, fold_after=timedelta(minutes=5))

    replies = slack.workspace.replies(CHANNEL, closed_ts)
    assert len(replies) == 1, "the waiting lines of one card go as one reply"
    assert all(line in replies[0].text for line in LINES)
    assert FOLDED_INTRO not in _texts(slack.workspace.message(CHANNEL, closed_ts).blocks)
    assert metrics.thread_lines_folded._value.get() == 0


def test_folded_lines_that_do_not_fit_keep_the_newest_and_say_how_many_are_left_out() -> None:
    lines = [f"Assigned to person {n} by someone@example.com" for n in range(500)]
    text = folded_lines(lines)
    assert len(text) <= MAX_SECTION_TEXT
    assert text.endswith(lines[-1])
    shown = text.count("Assigned to")
    assert f"… {500 - shown} earlier" in text
