"""`check` tells how much Slack work waits per channel (the senders' queue in the database)."""

from __future__ import annotations

import io
from pathlib import Path

from bot.cards.work import ThreadReply, UpdateCard, to_outbox
from bot.check import run_check
from bot.probes import queue_probe
from bot.store import Store
from tests.test_check import ok, settings


def test_check_prints_the_queue_depth_per_channel(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    store = Store.from_url(url)
    store.create_schema()
    store.enqueue(to_outbox(UpdateCard("inc-1"), "C0PAYMENTS"))
    store.enqueue(to_outbox(ThreadReply("1.1", ("x",), "inc-1"), "C0PAYMENTS", key="a"))
    store.enqueue(to_outbox(ThreadReply("1.2", ("y",), "inc-2"), "C0SEARCH", key="b"))
    store.close()
    config = settings(BOT_DATABASE_URL=url)
    out = io.StringIO()

    code = run_check(config, coralogix_probe=ok, slack_probe=ok, queue_probe=queue_probe(config), out=out)

    assert code == 0
    assert "Slack send queue: 2 waiting for C0PAYMENTS, 1 waiting for C0SEARCH" in out.getvalue()


def test_no_database_yet_is_an_empty_queue_and_check_makes_none(tmp_path: Path) -> None:
    config = settings(BOT_DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    out = io.StringIO()
    run_check(config, coralogix_probe=ok, slack_probe=ok, queue_probe=queue_probe(config), out=out)
    assert "Slack send queue: empty" in out.getvalue()
    assert not (tmp_path / "none.db").exists()
