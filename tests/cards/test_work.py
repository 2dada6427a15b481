"""The typed outbox: every kind of work survives the outbox table, rows of the untyped outbox still read
as the work they stood for, and deferred work waits as the one backoff policy says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.backoff import SLACK_WORK
from bot.cards.work import (
    PostCard,
    PostDigest,
    ThreadReply,
    UnknownWorkError,
    UpdateCard,
    UpdateDigest,
    Work,
    from_outbox,
    to_outbox,
)
from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import NewOutboxItem, OutboxKind, Store
from tests.cards.conftest import replica

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHANNEL = "C0PAYMENTS"


EVERY_KIND: list[Work] = [
    PostCard("inc-1", ("<!here>",), verify=True, since=T0),
    PostCard("inc-2"),
    UpdateCard("inc-3"),
    ThreadReply("1.5", ("acked", "assigned"), "inc-4"),
    ThreadReply("1.6", ("still open",), "inc-5", broadcast=True, blocks=({"type": "divider"},)),
    PostDigest(("inc-6", "inc-7")),
    UpdateDigest("1.7"),
]


@pytest.mark.parametrize("work", EVERY_KIND, ids=lambda w: type(w).__name__)
def test_every_kind_of_work_reads_back_as_itself(store: Store, work: Work) -> None:
    store.enqueue(to_outbox(work, CHANNEL, key="k"), T0)
    [item] = store.due_items(T0)
    assert from_outbox(item) == work
    assert item.channel == CHANNEL


@pytest.mark.parametrize(
    ("kind", "payload", "incident_id", "work"),
    [
        (
            OutboxKind.POST,
            {"mentions": ["<!here>"], "verify": False},
            "inc-1",
            PostCard("inc-1", ("<!here>",)),
        ),
        (
            OutboxKind.POST,
            {"mentions": [], "verify": True, "since": T0.isoformat()},
            "inc-1",
            PostCard("inc-1", verify=True, since=T0),
        ),
        (OutboxKind.POST, {"digest": ["inc-1", "inc-2"]}, None, PostDigest(("inc-1", "inc-2"))),
        (OutboxKind.UPDATE, {}, "inc-1", UpdateCard("inc-1")),
        (OutboxKind.UPDATE, {"digest_ts": "1.2"}, None, UpdateDigest("1.2")),
        (
            OutboxKind.THREAD,
            {"lines": ["x"], "thread_ts": "1.1"},
            "inc-1",
            ThreadReply("1.1", ("x",), "inc-1"),
        ),
    ],
)
def test_rows_of_the_untyped_outbox_read_as_the_work_they_stood_for(
    store: Store, kind: OutboxKind, payload: dict[str, object], incident_id: str | None, work: Work
) -> None:
    store.enqueue(NewOutboxItem(kind, CHANNEL, payload, dedupe_key="old", incident_id=incident_id), T0)
    [item] = store.due_items(T0)
    assert from_outbox(item) == work


def test_a_row_no_handler_knows_is_refused(store: Store) -> None:
    store.enqueue(NewOutboxItem(OutboxKind.EPHEMERAL, CHANNEL, {}), T0)
    store.enqueue(NewOutboxItem(OutboxKind.THREAD, CHANNEL, {"lines": []}, dedupe_key="no-ts"), T0)
    for item in store.due_items(T0):
        with pytest.raises(UnknownWorkError):
            from_outbox(item)


def test_the_same_work_is_queued_once(store: Store) -> None:
    assert store.enqueue(to_outbox(PostCard("inc-1"), CHANNEL), T0)
    assert not store.enqueue(to_outbox(PostCard("inc-1"), CHANNEL), T0 + timedelta(seconds=1))
    assert store.enqueue(to_outbox(PostCard("inc-1"), "C0OTHER"), T0)


def test_an_edit_queued_while_its_twin_is_in_flight_is_sent_once_more_not_twice(store: Store) -> None:
    store.enqueue(to_outbox(UpdateCard("inc-1"), CHANNEL), T0)
    [taken] = store.due_items(T0)  # a sender is drawing the card as the incident was then
    later = T0 + timedelta(seconds=1)
    assert not store.enqueue(to_outbox(UpdateCard("inc-1"), CHANNEL), later)  # coalesced into it
    assert not store.complete(taken.id, attempts=taken.attempts)  # so its send does not finish it
    [again] = store.due_items(later)
    assert again.id == taken.id
    assert store.complete(again.id, attempts=again.attempts)
    assert store.pending_count() == 0


def test_deferred_work_waits_as_the_one_backoff_policy_says(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, store: Store, client: IncidentsClient
) -> None:
    sender = replica("r", store, client, slack, now=lambda: T0).sender
    incident = client.get_incident(coralogix.sim.create_incident(severity="error", application="shop"))
    store.claim_message(incident.id, CHANNEL, "r")
    slack.workspace.faults.fail("chat.postMessage", status=503, calls=10)
    assert not sender.post_card(incident, CHANNEL, [])
    assert store.due_items(T0 + timedelta(seconds=SLACK_WORK.ceiling(0) / 2 - 0.01)) == []
    [item] = store.due_items(T0 + timedelta(seconds=SLACK_WORK.ceiling(0)))
    assert from_outbox(item) == PostCard(incident.id, verify=True)  # a 5xx may have posted it after all
