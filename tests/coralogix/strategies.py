"""Hypothesis strategies for domain incidents and events that the wire form can carry losslessly."""

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from bot.domain import (
    CASES_ONLY_EVENT_KINDS,
    Assignment,
    EventKind,
    Incident,
    IncidentEvent,
    Severity,
    State,
    Status,
)

texts = st.text(max_size=20)
users = st.none() | st.emails()
times = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
INCIDENT_EVENT_KINDS = [kind for kind in EventKind if kind not in CASES_ONLY_EVENT_KINDS]
durations = st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=3000))


@st.composite
def events(draw):
    kind = draw(st.sampled_from(INCIDENT_EVENT_KINDS))
    origin = draw(st.sampled_from(["admin", "system", "none"]))
    fields = {
        "id": draw(texts),
        "kind": kind,
        "actor": draw(st.emails()) if origin == "admin" else None,
        "system": draw(st.text(min_size=1, max_size=10)) if origin == "system" else None,
    }
    if kind is EventKind.ASSIGN:
        fields.update(assigned_to=draw(users), assigned_by=draw(users))
    elif kind is EventKind.ACKNOWLEDGE:
        fields.update(acknowledged_by=draw(users))
    elif kind is EventKind.CLOSE:
        fields.update(closed_by=draw(users))
    elif kind is EventKind.UPSERT_STATE:
        fields.update(
            state=draw(st.sampled_from([None, State.TRIGGERED, State.RESOLVED])),
            is_muted=draw(st.none() | st.booleans()),
        )
    elif kind is EventKind.SNOOZE:
        fields.update(
            snooze_start=draw(st.none() | times),
            snooze_minutes=draw(st.none() | st.integers(-(2**31), 2**31 - 1)),
        )
    return IncidentEvent(**fields)


incidents = st.builds(
    Incident,
    id=texts,
    name=texts,
    severity=st.sampled_from(Severity),
    status=st.sampled_from(Status),
    state=st.sampled_from(State),
    description=texts,
    created_at=st.none() | times,
    closed_at=st.none() | times,
    last_state_update_time=st.none() | times,
    last_state_update_key=st.none() | texts,
    is_muted=st.booleans(),
    duration=st.none() | durations,
    assignments=st.lists(st.builds(Assignment, users, users), max_size=3).map(tuple),
    contextual_labels=st.dictionaries(texts, texts, max_size=4),
    display_labels=st.dictionaries(texts, texts, max_size=4),
    meta_labels=st.lists(st.tuples(texts, texts), max_size=4).map(tuple),
    events=st.lists(events(), max_size=4).map(tuple),
)
