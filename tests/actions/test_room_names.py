"""War-room channel names: from the incident's date and name, always valid, unique by suffix."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.actions.room_names import MAX_NAME, candidates, is_valid, room_name, slug
from bot.domain import Incident

TODAY = date(2026, 12, 3)


def _incident(name: str, incident_id: str = "3f2a9c1e-77aa-4b1c-9d0e-0123456789ab") -> Incident:
    return Incident(id=incident_id, name=name, created_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))


def test_the_name_is_the_incident_day_and_its_name_in_slack_letters() -> None:
    assert (
        room_name(_incident("Checkout 5xx: Payments API!"), TODAY)
        == "inc-2026-11-30-checkout-5xx-payments-api"
    )
    assert (
        room_name(_incident("Zahlungsfehler über Ölpreis"), TODAY)
        == "inc-2026-11-30-zahlungsfehler-uber-olpreis"
    )
    assert room_name(_incident("db_primary DOWN"), TODAY) == "inc-2026-11-30-db_primary-down"


def test_an_unnamed_incident_is_named_by_its_id_and_an_undated_one_by_today() -> None:
    assert room_name(_incident("!!!"), TODAY) == "inc-2026-11-30-3f2a9c1e"
    assert room_name(Incident(id="abc", name="x"), TODAY) == "inc-2026-12-03-x"


def test_candidates_are_distinct_and_each_fits_slacks_rules() -> None:
    names = list(candidates(_incident("a" * 200), TODAY))
    assert len(names) == len(set(names)) == 6
    assert names[1] == names[0] + "-2"
    assert names[-1] == names[0] + "-3f2a9c1e"
    assert all(is_valid(name) and len(name) <= MAX_NAME for name in names)


def test_slug_keeps_only_what_slack_allows() -> None:
    assert slug("  --Hello, World__  ") == "hello-world"
    assert slug("日本語") == ""


@given(name=st.text(max_size=300), incident_id=st.text(min_size=1, max_size=60))
def test_every_candidate_of_any_incident_is_a_valid_channel_name(name: str, incident_id: str) -> None:
    for candidate in candidates(_incident(name, incident_id), TODAY):
        assert is_valid(candidate), candidate


def test_is_valid_says_what_slack_refuses() -> None:
    assert is_valid("inc-2026-12-03-x")
    assert not is_valid("")
    assert not is_valid("Upper")
    assert not is_valid("has space")
    assert not is_valid("---")
    assert not is_valid("a" * 81)
