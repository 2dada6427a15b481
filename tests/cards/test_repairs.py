"""A poller died between posting and recording: the next one finds the message instead of posting again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cards.work import PostCard, ThreadReply, mark_of, to_outbox
from bot.coralogix.client import IncidentsClient
from bot.domain import Incident
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import MessageKind, Store
from tests.cards.conftest import Replica, replica
from tests.e2e.harness import wait_for

CHANNEL = "C0PAYMENTS"
MENTION = "<!subteam^S0ONCALL>"


def _replica(name: str, store: Store, client: IncidentsClient, slack: RunningSlackSandbox) -> Replica:
    routes = {"routes": [{"name": "all", "channels": [CHANNEL], "mention": [MENTION]}]}
    return replica(name, store, client, slack, routes)


def _incidents(coralogix: RunningCoralogixSandbox, client: IncidentsClient, count: int) -> list[Incident]:
    ids = [coralogix.sim.create_incident(severity="warning", application="shop") for _ in range(count)]
    return [client.get_incident(i) for i in ids]


def _posts(slack: RunningSlackSandbox) -> int:
    return len([c for c in slack.workspace.calls_to("chat.postMessage") if c.ok])


@pytest.mark.parametrize("digest", [False, True], ids=["card", "digest"])
def test_a_message_that_landed_is_recorded_not_posted_again(
    coralogix: RunningCoralogixSandbox,
    slack: RunningSlackSandbox,
    client: IncidentsClient,
    store: Store,
    digest: bool,
) -> None:
    dead = _replica("dead", store, client, slack)
    incidents = _incidents(coralogix, client, 5 if digest else 1)
    # the dead replica claimed and posted, then died before recording anything
    assert store.claim_messages(
        [(i.id, CHANNEL) for i in incidents], "dead", datetime.now(UTC) - timedelta(minutes=1)
    )
    if digest:
        ts = dead.gateway.post_message(CHANNEL, dead.sender.digest(incidents))
    else:
        ts = dead.gateway.post_message(CHANNEL, dead.sender.card(incidents[0]))
    posts = _posts(slack)

    heir = _replica("heir", store, client, slack)
    assert heir.outbox.repair_claims(timedelta(seconds=30)) == len(incidents)
    heir.outbox.drain()

    assert _posts(slack) == posts  # found through its metadata: nothing posted again
    for incident in incidents:
        row = store.message(incident.id, CHANNEL)
        assert row is not None
        assert row.is_posted
        assert row.ts == ts
        assert row.kind is (MessageKind.DIGEST if digest else MessageKind.CARD)


def test_a_message_that_never_landed_is_posted_once(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    [incident] = _incidents(coralogix, client, 1)
    store.claim_messages([(incident.id, CHANNEL)], "dead", datetime.now(UTC) - timedelta(minutes=1))
    heir = _replica("heir", store, client, slack)
    assert heir.outbox.repair_claims(timedelta(seconds=30)) == 1
    heir.outbox.drain()
    assert _posts(slack) == 1
    [card] = slack.workspace.messages(CHANNEL)
    assert MENTION in card.text + str(card.blocks)  # still the channel's first post of it
    assert heir.outbox.repair_claims(timedelta(seconds=30)) == 0  # nothing left to repair
    heir.outbox.drain()
    assert _posts(slack) == 1
    row = store.message(incident.id, CHANNEL)
    assert row is not None
    assert row.is_posted


def test_a_fresh_claim_of_another_replica_is_left_alone(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    [incident] = _incidents(coralogix, client, 1)
    store.claim_messages([(incident.id, CHANNEL)], "busy", datetime.now(UTC))
    heir = _replica("heir", store, client, slack)
    assert heir.outbox.repair_claims(timedelta(seconds=30)) == 0
    heir.outbox.drain()
    assert _posts(slack) == 0


def test_a_post_whose_sender_died_mid_send_is_found_not_posted_again(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    """A sender claimed a queued card, posted it and died before recording it; once its claim lapses, the
    next sender looks for the card in the channel (its metadata) and records it instead of posting again."""
    [incident] = _incidents(coralogix, client, 1)
    now = datetime.now(UTC)
    store.claim_messages([(incident.id, CHANNEL)], "dead", now)
    store.enqueue(to_outbox(PostCard(incident.id), CHANNEL), now)
    heir = _replica("heir", store, client, slack)
    assert store.due_items(now, lock_seconds=0)  # the dead sender took it (its claim lapses at once) ...
    heir.gateway.post_message(CHANNEL, heir.sender.card(incident))  # ... and its post landed
    posts = _posts(slack)

    assert heir.outbox.drain() == 1

    assert _posts(slack) == posts
    row = store.message(incident.id, CHANNEL)
    assert row is not None
    assert row.is_posted


def _card(replica: Replica, store: Store, incident: Incident) -> str:
    store.claim_messages([(incident.id, CHANNEL)], "heir", datetime.now(UTC))
    assert replica.sender.post_card(incident, CHANNEL, [], defer=False)
    row = store.message(incident.id, CHANNEL)
    assert row is not None and row.ts is not None
    return row.ts


def test_thread_lines_whose_sender_died_mid_send_are_found_not_posted_again(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    """A sender claimed two waiting lines of one card, replied with both and died before completing them;
    a third line was queued meanwhile. The next sender finds the two in the thread (their marks in the
    reply's metadata) and replies with the third alone."""
    [incident] = _incidents(coralogix, client, 1)
    heir = _replica("heir", store, client, slack)
    ts = _card(heir, store, incident)
    now = datetime.now(UTC)
    for n in (1, 2):
        store.enqueue(
            to_outbox(ThreadReply(ts, (f"line {n}",), incident.id), CHANNEL, key=f"events:{n}"), now
        )
    taken = store.due_items(now, lock_seconds=0)  # the dead sender took both (its claim lapses at once) ...
    dead_reply = ThreadReply(ts, ("line 1", "line 2"), incident.id)
    heir.sender.send_reply(CHANNEL, dead_reply, marks=[mark_of(item) for item in taken])  # ... and replied
    store.enqueue(to_outbox(ThreadReply(ts, ("line 3",), incident.id), CHANNEL, key="events:3"), now)

    assert heir.outbox.drain() == 3

    replies = [reply.text for reply in slack.workspace.replies(CHANNEL, ts)]
    assert replies == ["line 1\nline 2", "line 3"]
    assert store.pending_count() == 0


def test_a_reply_slack_may_have_kept_is_looked_for_then_sent_once(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    """Slack answered a reply with a 5xx (it may have kept it): the queued retry reads the thread first."""
    [incident] = _incidents(coralogix, client, 1)
    heir = _replica("heir", store, client, slack)
    ts = _card(heir, store, incident)
    slack.workspace.faults.fail("chat.postMessage", status=500, calls=2)  # the client retries a 5xx once
    assert heir.sender.reply(incident.id, ["Resolved by bob@example.com"], key="events:4") == 0
    slack.workspace.faults.clear()
    reads = len(slack.workspace.calls_to("conversations.replies"))

    wait_for(lambda: heir.outbox.drain() == 1, 30, "the queued reply sent on its first retry")

    assert len(slack.workspace.calls_to("conversations.replies")) > reads, "the thread was not looked at"
    assert [reply.text for reply in slack.workspace.replies(CHANNEL, ts)] == ["Resolved by bob@example.com"]
