"""The senders are fair: a channel with a long backlog does not hold up the channels with a little work.

A real Dispatcher (one worker, so the order it serves channels in is the order Slack sees), a real outbox
on SQLite and a real gateway to the Slack sandbox over its socket; the gateway's own pacing is off, so the
order is the round-robin's alone, not Slack's pace.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cards.dispatch import Dispatcher
from bot.cards.work import PostCard
from bot.coralogix.client import IncidentsClient
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.store import Store
from tests.cards.conftest import replica
from tests.e2e.harness import wait_for

BUSY, QUIET, QUIETER = "C0INCIDENTS", "C0PAYMENTS", "C0SEARCH"  # the busy one sorts first
APPS = {BUSY: "shop", QUIET: "search", QUIETER: "billing"}
BACKLOG = 12


def _posts(slack: RunningSlackSandbox) -> list[str]:
    """The channel of each card Slack accepted, in the order it accepted them."""
    return [
        str(call.params.get("channel"))
        for call in slack.workspace.calls_to("chat.postMessage")
        if call.ok and not call.params.get("thread_ts")
    ]


def test_the_quiet_channels_are_served_before_the_busy_ones_backlog_drains(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, client: IncidentsClient, store: Store
) -> None:
    routes = {
        "routes": [
            {"name": app, "match": {"application": app}, "channels": [channel]}
            for channel, app in APPS.items()
        ]
    }
    r1 = replica("r1", store, client, slack, routes)
    counts = {BUSY: BACKLOG, QUIET: 1, QUIETER: 1}
    for channel, count in counts.items():  # the busy channel's backlog is queued first, oldest
        ids = [
            coralogix.sim.create_incident(severity="warning", application=APPS[channel]) for _ in range(count)
        ]
        store.claim_messages([(i, channel) for i in ids], "r1", datetime.now(UTC))
        for incident_id in ids:
            r1.sender.queue(PostCard(incident_id), channel)

    dispatcher = Dispatcher(
        outbox=r1.outbox,
        store=store,
        gateway=r1.gateway,
        metrics=r1.metrics,
        may_send=lambda: True,
        workers=1,
    )
    dispatcher.start()
    try:
        wait_for(lambda: len(_posts(slack)) >= sum(counts.values()), 60, "every card")
    finally:
        dispatcher.stop()

    order = _posts(slack)
    assert order.count(BUSY) == BACKLOG
    for quiet in (QUIET, QUIETER):  # one turn each: served within the first round, not after the backlog
        assert order.index(quiet) < len(counts), f"{quiet} waited for {BUSY}'s backlog: {order}"
