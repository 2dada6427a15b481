"""Thread lines for what changed on an incident, and the card fingerprint."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.cards.fingerprint import fingerprint
from bot.domain import (
    ALERT_NAME_LABEL,
    APPLICATION_LABEL,
    SUBSYSTEM_LABEL,
    Assignment,
    EventKind,
    Incident,
    IncidentEvent,
    Severity,
    State,
    Status,
)
from bot.notify.changes import describe_changes
from bot.slack.blocks import describe_event, incident_card

CREATED = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def make_incident(**overrides: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": "inc-1",
        "name": "checkout 5xx",
        "severity": Severity.ERROR,
        "status": Status.TRIGGERED,
        "state": State.TRIGGERED,
        "created_at": CREATED,
        "display_labels": {APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "checkout"},
    }
    fields.update(overrides)
    return Incident(**fields)


def slack_ids(user: str) -> str | None:
    return {"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"}.get(user)


def changes(old: Incident | None, new: Incident, *events: IncidentEvent) -> list[str]:
    return describe_changes(old, new, events, slack_user_of=slack_ids)


TRIGGERED = make_incident()
ACKED = make_incident(status=Status.ACKNOWLEDGED)
RESOLVED = make_incident(status=Status.RESOLVED, state=State.RESOLVED)
CLOSED = make_incident(status=Status.RESOLVED, state=State.RESOLVED, closed_at=CREATED + timedelta(hours=1))


# ------------------------------------------------------------------------------------ from events


def test_acknowledged_by_a_mapped_user() -> None:
    event = IncidentEvent(
        "e1", EventKind.ACKNOWLEDGE, actor="alice@example.com", acknowledged_by="alice@example.com"
    )
    assert changes(TRIGGERED, ACKED, event) == ["Acknowledged by <@U0ALICE>"]


def test_assigned_to_a_mapped_user_by_an_unmapped_one() -> None:
    new = make_incident(assignments=(Assignment("bob@example.com", "carol@example.com"),))
    event = IncidentEvent(
        "e1", EventKind.ASSIGN, assigned_to="bob@example.com", assigned_by="carol@example.com"
    )
    assert changes(TRIGGERED, new, event) == ["Assigned to <@U0BOB> by carol@example.com"]


def test_unassigned() -> None:
    old = make_incident(assignments=(Assignment("bob@example.com"),))
    event = IncidentEvent("e1", EventKind.UNASSIGN, actor="alice@example.com")
    assert changes(old, TRIGGERED, event) == ["Unassigned by <@U0ALICE>"]


def test_resolved_by_a_person() -> None:
    event = IncidentEvent("e1", EventKind.UPSERT_STATE, actor="alice@example.com", state=State.RESOLVED)
    new = make_incident(status=Status.RESOLVED)
    assert changes(ACKED, new, event) == ["Resolved by <@U0ALICE>"]


def test_resolved_by_the_alert_itself() -> None:
    event = IncidentEvent("e1", EventKind.UPSERT_STATE, system="alerts", state=State.RESOLVED)
    assert changes(TRIGGERED, RESOLVED, event) == ["Alert condition cleared by alerts (system)"]


def test_closed_by() -> None:
    event = IncidentEvent("e1", EventKind.CLOSE, actor="bob@example.com", closed_by="bob@example.com")
    assert changes(RESOLVED, CLOSED, event) == ["Closed by <@U0BOB>"]


def test_reopened_by_event() -> None:
    assert changes(CLOSED, RESOLVED, IncidentEvent("e1", EventKind.OPEN, actor="bob@example.com")) == [
        "Reopened by <@U0BOB>"
    ]


def test_re_triggered_after_resolution() -> None:
    event = IncidentEvent("e1", EventKind.UPSERT_STATE, system="alerts", state=State.TRIGGERED)
    assert changes(RESOLVED, TRIGGERED, event) == ["Re-triggered by alerts (system)"]


@pytest.mark.parametrize(
    ("old", "new", "event", "line"),
    [
        (
            RESOLVED,
            TRIGGERED,
            IncidentEvent("e1", EventKind.UPSERT_STATE, system="alerts", state=State.TRIGGERED),
            "Re-triggered by alerts (system)",
        ),
        (
            TRIGGERED,
            make_incident(is_muted=True),
            IncidentEvent("e1", EventKind.UPSERT_STATE, system="rules", state=State.TRIGGERED, is_muted=True),
            "Muted by rules (system)",
        ),
        (
            CLOSED,
            RESOLVED,
            IncidentEvent("e1", EventKind.OPEN, system="alerts"),
            "Reopened by alerts (system)",
        ),
        (
            TRIGGERED,
            ACKED,
            IncidentEvent("e1", EventKind.ACKNOWLEDGE, system="escalation"),
            "Acknowledged by escalation (system)",
        ),
    ],
)
def test_a_system_made_change_says_system_in_the_thread(
    old: Incident, new: Incident, event: IncidentEvent, line: str
) -> None:
    """Every thread line names its maker the one way the timeline does, a system as "(system)"."""
    assert changes(old, new, event) == [line]
    maker = line.split(" by ", 1)[1]
    assert f" by {maker}" in describe_event(event)  # the details timeline names the maker the same way


def test_re_triggered_within_one_batch() -> None:
    events = [
        IncidentEvent("e1", EventKind.UPSERT_STATE, system="alerts", state=State.RESOLVED),
        IncidentEvent("e2", EventKind.UPSERT_STATE, system="alerts", state=State.TRIGGERED),
    ]
    assert changes(TRIGGERED, TRIGGERED, *events) == [
        "Alert condition cleared by alerts (system)",
        "Re-triggered by alerts (system)",
    ]


def test_repeated_trigger_is_not_news() -> None:
    events = [
        IncidentEvent(f"e{n}", EventKind.UPSERT_STATE, system="alerts", state=State.TRIGGERED)
        for n in range(3)
    ]
    assert changes(TRIGGERED, TRIGGERED, *events) == []


def test_muted_and_unmuted() -> None:
    muted = make_incident(is_muted=True)
    mute = IncidentEvent(
        "e1", EventKind.UPSERT_STATE, actor="alice@example.com", state=State.TRIGGERED, is_muted=True
    )
    assert changes(TRIGGERED, muted, mute) == ["Muted by <@U0ALICE>"]
    unmute = IncidentEvent("e2", EventKind.UPSERT_STATE, state=State.TRIGGERED, is_muted=False)
    assert changes(muted, TRIGGERED, unmute) == ["Unmuted"]
    same = IncidentEvent("e3", EventKind.UPSERT_STATE, state=State.TRIGGERED, is_muted=True)
    assert changes(muted, muted, same) == []


def test_snoozed() -> None:
    event = IncidentEvent("e1", EventKind.SNOOZE, actor="bob@example.com", snooze_minutes=30)
    assert changes(TRIGGERED, make_incident(is_muted=True), event) == ["Muted for 30 minutes by <@U0BOB>"]


def test_a_batch_in_order_with_severity() -> None:
    new = make_incident(
        status=Status.RESOLVED,
        severity=Severity.CRITICAL,
        assignments=(Assignment("bob@example.com", "alice@example.com"),),
        closed_at=CREATED,
    )
    events = [
        IncidentEvent("e1", EventKind.ACKNOWLEDGE, acknowledged_by="alice@example.com"),
        IncidentEvent("e2", EventKind.ASSIGN, assigned_to="bob@example.com", assigned_by="alice@example.com"),
        IncidentEvent("e3", EventKind.UPSERT_STATE, actor="bob@example.com", state=State.RESOLVED),
        IncidentEvent("e4", EventKind.CLOSE, closed_by="bob@example.com"),
    ]
    assert changes(TRIGGERED, new, *events) == [
        "Acknowledged by <@U0ALICE>",
        "Assigned to <@U0BOB> by <@U0ALICE>",
        "Resolved by <@U0BOB>",
        "Closed by <@U0BOB>",
        "Severity changed from error to critical",
    ]


def test_first_sight_reports_events_but_not_the_opening() -> None:
    events = [
        IncidentEvent("e1", EventKind.OPEN, system="alerts"),
        IncidentEvent("e2", EventKind.UPSERT_STATE, system="alerts", state=State.TRIGGERED, is_muted=False),
        IncidentEvent("e3", EventKind.ACKNOWLEDGE, acknowledged_by="alice@example.com"),
    ]
    assert changes(None, ACKED, *events) == ["Acknowledged by <@U0ALICE>"]
    assert changes(None, ACKED) == []


# ----------------------------------------------------------------------------- from fields alone


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        (TRIGGERED, ACKED, ["Acknowledged"]),
        (ACKED, make_incident(status=Status.RESOLVED), ["Resolved"]),
        (ACKED, RESOLVED, ["Resolved", "Alert condition cleared"]),
        (RESOLVED, TRIGGERED, ["Re-triggered"]),
        (ACKED, make_incident(status=Status.ACKNOWLEDGED, state=State.RESOLVED), ["Alert condition cleared"]),
        (
            make_incident(status=Status.ACKNOWLEDGED, state=State.RESOLVED),
            ACKED,
            ["Alert condition firing again"],
        ),
        (RESOLVED, CLOSED, ["Closed"]),
        (CLOSED, RESOLVED, ["Reopened"]),
        (TRIGGERED, make_incident(assignments=(Assignment("bob@example.com"),)), ["Assigned to <@U0BOB>"]),
        (
            make_incident(assignments=(Assignment("bob@example.com"),)),
            make_incident(assignments=(Assignment("dave<x>@example.com"),)),
            ["Assigned to dave&lt;x&gt;@example.com"],
        ),
        (make_incident(assignments=(Assignment("bob@example.com"),)), TRIGGERED, ["Unassigned"]),
        (TRIGGERED, make_incident(severity=Severity.CRITICAL), ["Severity changed from error to critical"]),
        (TRIGGERED, make_incident(is_muted=True), ["Muted"]),
        (make_incident(is_muted=True), TRIGGERED, ["Unmuted"]),
        (TRIGGERED, TRIGGERED, []),
        (TRIGGERED, make_incident(name="renamed", description="new"), []),
    ],
)
def test_field_changes_without_events(old: Incident, new: Incident, lines: list[str]) -> None:
    assert changes(old, new) == lines


def test_an_event_explains_its_field_once() -> None:
    ack = IncidentEvent("e1", EventKind.ACKNOWLEDGE, acknowledged_by="alice@example.com")
    assert changes(TRIGGERED, ACKED, ack) == ["Acknowledged by <@U0ALICE>"]
    # …but a field the events do not explain is still said.
    assert changes(TRIGGERED, make_incident(status=Status.RESOLVED), ack) == [
        "Acknowledged by <@U0ALICE>",
        "Resolved",
    ]


# ------------------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_short_and_stable() -> None:
    value = fingerprint(TRIGGERED)
    assert re.fullmatch(r"[0-9a-f]{16}", value)
    assert fingerprint(make_incident()) == value
    reordered = make_incident(display_labels={SUBSYSTEM_LABEL: "checkout", APPLICATION_LABEL: "shop"})
    assert fingerprint(reordered) == value


@pytest.mark.parametrize(
    "change",
    [
        {"status": Status.ACKNOWLEDGED},
        {"state": State.RESOLVED},
        {"assignments": (Assignment("bob@example.com"),)},
        {"severity": Severity.CRITICAL},
        {"is_muted": True},
        {"closed_at": CREATED},
        {"name": "renamed"},
        {"description": "now with a description"},
        {"display_labels": {APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "checkout", "team": "payments"}},
        {"display_labels": {APPLICATION_LABEL: "shop", SUBSYSTEM_LABEL: "payments"}},
    ],
)
def test_fingerprint_moves_with_what_the_card_shows(change: dict[str, Any]) -> None:
    assert fingerprint(dataclasses.replace(TRIGGERED, **change)) != fingerprint(TRIGGERED)


@pytest.mark.parametrize(
    "change",
    [
        {"events": (IncidentEvent("e1", EventKind.OPEN),)},
        {"last_state_update_time": CREATED + timedelta(minutes=5), "last_state_update_key": "k2"},
        {"contextual_labels": {"alert_id": "a-1"}},
        {"duration": timedelta(minutes=3)},
        {"meta_labels": (("team", "payments"),)},
        {"created_at": CREATED + timedelta(microseconds=300)},
    ],
)
def test_fingerprint_ignores_what_the_card_does_not_show(change: dict[str, Any]) -> None:
    assert fingerprint(dataclasses.replace(TRIGGERED, **change)) == fingerprint(TRIGGERED)


# Small value sets, so that a changed field often leaves the card as it was.
small_text = st.sampled_from(["", "a", "b", "a <b>"])
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.sampled_from(["i1", "i2"]),
    "name": small_text,
    "severity": st.sampled_from([Severity.ERROR, Severity.CRITICAL]),
    "status": st.sampled_from([Status.TRIGGERED, Status.RESOLVED]),
    "state": st.sampled_from([State.TRIGGERED, State.RESOLVED]),
    "description": small_text,
    "created_at": st.sampled_from([None, CREATED]),
    "closed_at": st.sampled_from([None, CREATED]),
    "is_muted": st.booleans(),
    "assignments": st.sampled_from([(), (Assignment("bob@example.com"),), (Assignment(None),)]),
    "display_labels": st.dictionaries(st.sampled_from([APPLICATION_LABEL, "team"]), small_text, max_size=2),
    "contextual_labels": st.dictionaries(
        st.sampled_from([ALERT_NAME_LABEL, "alert_id"]), small_text, max_size=2
    ),
    "meta_labels": st.sampled_from([(), ((SUBSYSTEM_LABEL, "checkout"),), (("team", "x"),)]),
    "events": st.sampled_from([(), (IncidentEvent("e1", EventKind.OPEN),)]),
    "last_state_update_time": st.sampled_from([None, CREATED]),
}
pair_incident_st = st.fixed_dictionaries(FIELD_VALUES).map(lambda fields: Incident(**fields))


@settings(max_examples=400, deadline=None)
@given(a=pair_incident_st, data=st.data())
def test_fingerprint_changes_exactly_when_the_card_would(a: Incident, data: st.DataObject) -> None:
    changed = data.draw(st.sets(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, max_size=3))
    b = dataclasses.replace(a, **{name: data.draw(FIELD_VALUES[name]) for name in sorted(changed)})
    card_a, card_b = incident_card(a, rendering=""), incident_card(b, rendering="")
    same_card = (card_a.text, card_a.blocks, card_a.metadata) == (card_b.text, card_b.blocks, card_b.metadata)
    event("same card" if same_card else "different card")
    assert (fingerprint(a) == fingerprint(b)) == same_card
