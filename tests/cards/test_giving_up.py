"""The outbox gives up on what can never succeed: permanent Slack refusals and work too old to matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.coralogix.client import IncidentsClient
from bot.errors import SlackPermanentError, SlackRequestError
from bot.sandbox.coralogix import RunningCoralogixSandbox
from bot.sandbox.slack import RunningSlackSandbox
from bot.slack.blocks import MessagePayload
from bot.store import NewOutboxItem, OutboxKind, Store
from tests.cards.test_repairs import CHANNEL, _incidents, _replica


def test_the_gateway_says_which_refusals_are_for_good(
    slack: RunningSlackSandbox, store: Store, client: IncidentsClient
) -> None:
    gateway = _replica("r", store, client, slack).gateway
    with pytest.raises(SlackPermanentError) as refused:
        gateway.post_message("C0NOWHERE", MessagePayload(text="hello", blocks=[]))
    assert refused.value.error == "channel_not_found"
    assert gateway.channel_problems() == {"C0NOWHERE": "channel_not_found"}
    slack.workspace.faults.error("chat.postMessage", "invalid_arguments")
    with pytest.raises(SlackRequestError) as other:
        gateway.post_message(CHANNEL, MessagePayload(text="hello", blocks=[]))
    assert not isinstance(other.value, SlackPermanentError)


def test_a_channel_problem_clears_once_a_post_works(
    slack: RunningSlackSandbox, store: Store, client: IncidentsClient
) -> None:
    gateway = _replica("r", store, client, slack).gateway
    slack.workspace.faults.error("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackPermanentError):
        gateway.post_message(CHANNEL, MessagePayload(text="hello", blocks=[]))
    assert gateway.channel_problems() == {CHANNEL: "not_in_channel"}
    gateway.post_message(CHANNEL, MessagePayload(text="hello again", blocks=[]))
    assert gateway.channel_problems() == {}


def test_a_card_slack_refuses_for_good_is_not_queued(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, store: Store, client: IncidentsClient
) -> None:
    replica = _replica("r", store, client, slack)
    [incident] = _incidents(coralogix, client, 1)
    slack.workspace.faults.error("chat.postMessage", "is_archived")
    assert not replica.sender.post_card(incident, CHANNEL, [])
    assert store.pending_count() == 0


def test_queued_work_refused_for_good_or_too_old_is_dropped_and_counted(
    coralogix: RunningCoralogixSandbox, slack: RunningSlackSandbox, store: Store, client: IncidentsClient
) -> None:
    replica = _replica("r", store, client, slack)
    [incident] = _incidents(coralogix, client, 1)
    store.claim_message(incident.id, CHANNEL, "r")
    store.enqueue(
        NewOutboxItem(OutboxKind.POST, CHANNEL, {"mentions": []}, dedupe_key="p", incident_id=incident.id)
    )
    old = datetime.now(UTC) - timedelta(hours=25)
    store.enqueue(NewOutboxItem(OutboxKind.THREAD, CHANNEL, {"lines": ["x"], "thread_ts": "1.1"}), now=old)
    slack.workspace.faults.error("chat.postMessage", "msg_too_long")

    replica.outbox.drain()

    assert store.pending_count() == 0
    text = replica.gateway._metrics.render().decode()
    assert 'incidentbot_slack_dropped_total{reason="msg_too_long"} 1.0' in text
    assert 'incidentbot_slack_dropped_total{reason="expired"} 1.0' in text


def test_readyz_names_a_channel_the_bot_cannot_post_to_without_failing() -> None:
    from bot.web import build_wsgi_app

    app = build_wsgi_app(
        slack_handler=None,
        readiness_problems=list,
        metrics=bytes,
        readiness_notes=lambda: ["Slack: cannot post to C0GONE (is_archived)"],
    )
    statuses: list[str] = []
    body = b"".join(app({"PATH_INFO": "/readyz", "REQUEST_METHOD": "GET"}, lambda s, h: statuses.append(s)))
    assert statuses == ["200 OK"]
    assert body.decode() == "ready\nnote: Slack: cannot post to C0GONE (is_archived)\n"
