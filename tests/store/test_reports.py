"""Shift reports' state: the response-time cache and one claim per scheduled run, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.store.reports import RUN_CLAIMED, RUN_POSTED, CachedResponse

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def row(incident_id: str, version: str, **fields: object) -> CachedResponse:
    values: dict[str, object] = {
        "closed": False,
        "started_at": T0,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "retriggers": 0,
        "ack_unknown": False,
        "resolve_unknown": False,
    }
    values.update(fields)
    return CachedResponse(incident_id=incident_id, version=version, **values)  # type: ignore[arg-type]


def test_response_rows_are_saved_replaced_and_read_back(store: Store) -> None:
    store.save_responses(
        [row("a", "v1"), row("b", "v1", closed=True, resolved_at=T0 + timedelta(minutes=9))], T0
    )
    store.save_responses(
        [row("a", "v2", acknowledged_at=T0 + timedelta(minutes=3), acknowledged_by="al")], T0
    )
    got = store.cached_responses(["a", "b", "c"])
    assert set(got) == {"a", "b"}
    assert got["a"].version == "v2" and got["a"].acknowledged_at == T0 + timedelta(minutes=3)
    assert got["b"].closed and got["b"].resolved_at == T0 + timedelta(minutes=9)
    assert store.prune_responses(T0 + timedelta(seconds=1)) == 2
    assert store.cached_responses(["a", "b"]) == {}


def test_response_rows_are_saved_in_one_transaction(store: Store) -> None:
    # a report saves thousands of rows at once: all of them or, when one is refused, none
    rows = [row(f"inc-{n}", "v1") for n in range(1000)]
    bad = row("inc-bad", "v1", retriggers=None)  # NOT NULL
    with pytest.raises(IntegrityError):
        store.save_responses([*rows, bad], T0)
    assert store.cached_responses([item.incident_id for item in rows]) == {}
    assert store.save_responses(rows, T0) == 1000
    assert len(store.cached_responses([item.incident_id for item in rows])) == 1000


def test_a_run_is_claimed_once_across_replicas(store: Store, other_store: Store) -> None:
    assert store.claim_report_run("payments", "C1", T0, "r1", T0, late=False)
    assert not other_store.claim_report_run("payments", "C1", T0, "r2", T0, late=False)
    assert other_store.claim_report_run("payments", "C2", T0, "r2", T0, late=False)
    store.mark_report_posted("payments", "C1", T0, "1.0001", T0)
    runs = {run.channel: run for run in store.report_runs("payments")}
    assert runs["C1"].state == RUN_POSTED and runs["C1"].ts == "1.0001" and runs["C1"].claimed_by == "r1"
    assert runs["C2"].state == RUN_CLAIMED
    # a claim given back (Slack was down) can be claimed again; a posted one cannot be given back
    other_store.release_report_run("payments", "C2", T0, "r2")
    store.release_report_run("payments", "C1", T0, "r1")
    assert store.claim_report_run("payments", "C2", T0, "r1", T0, late=True)
    assert not store.claim_report_run("payments", "C1", T0, "r1", T0, late=True)


def test_a_schedule_is_armed_once(store: Store, other_store: Store) -> None:
    assert store.arm_schedule("payments", T0) == T0
    assert other_store.arm_schedule("payments", T0 + timedelta(hours=1)) == T0


def test_pruning_forgets_old_runs_and_cached_times(store: Store) -> None:
    store.save_responses([row("a", "v1")], T0)
    assert store.claim_report_run("payments", "C1", T0, "r1", T0, late=False)
    assert store.claim_report_run("payments", "C1", T0 + timedelta(days=1), "r1", T0, late=False)
    assert store.prune_responses(T0 + timedelta(hours=1)) == 2
    assert [run.run_at for run in store.report_runs()] == [T0 + timedelta(days=1)]
    assert store.cached_responses(["a"]) == {}
