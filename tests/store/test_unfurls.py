"""Unfurls the bot made and Home tabs it published (SQLite and PostgreSQL): newest first, capped,
forgotten on demand, pruned with their closed incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Severity, State, Status
from bot.store import Snapshot, Store
from bot.store.unfurls import UnfurlRow

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_an_incidents_unfurls_come_newest_first_and_capped(store: Store) -> None:
    for n in range(5):
        store.record_unfurl(
            UnfurlRow("i1", "C1", f"10{n}.1", f"https://x/#/incidents/i1?{n}"), T0 + timedelta(n)
        )
    store.record_unfurl(UnfurlRow("i2", "C1", "200.1", "https://x/#/incidents/i2"), T0)
    newest = store.unfurls_of("i1", limit=3)
    assert [row.ts for row in newest] == ["104.1", "103.1", "102.1"]
    store.record_unfurl(UnfurlRow("i1", "C1", "100.1", "https://x/#/incidents/i1?0"), T0 + timedelta(9))
    assert store.unfurls_of("i1", limit=1)[0].ts == "100.1"  # unfurled again: newest, still one row
    assert len(store.unfurls_of("i1")) == 5


def test_a_forgotten_unfurl_is_gone(store: Store) -> None:
    row = UnfurlRow("i1", "C1", "100.1", "https://x/#/incidents/i1")
    store.record_unfurl(row, T0)
    store.forget_unfurl(row)
    assert store.unfurls_of("i1") == []


def test_unfurls_are_pruned_with_their_closed_incident(store: Store) -> None:
    old = T0 - timedelta(days=40)
    for incident_id, closed in (("gone", True), ("open", False)):
        snap = Snapshot(incident_id, Status.RESOLVED, State.RESOLVED, Severity.ERROR, closed=closed)
        store.upsert_snapshots([snap], now=old)
        store.record_unfurl(
            UnfurlRow(incident_id, "C1", "100.1", f"https://x/#/incidents/{incident_id}"), old
        )
    store.prune_older_than(T0 - timedelta(days=30), T0)
    assert store.unfurls_of("gone") == []
    assert len(store.unfurls_of("open")) == 1


def test_home_tabs_are_remembered(store: Store) -> None:
    assert store.has_home("U1") is False
    store.record_home("U1", T0)
    store.record_home("U1", T0 + timedelta(minutes=1))
    assert store.has_home("U1") is True
    assert store.has_home("U2") is False
