"""When a route's report is due, the period it covers, and when it counts as late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reports.schedule import Period, is_late, latest_run, period_of_run, runs_before
from bot.routing_file import ReportSchedule

WEEKDAYS_0900_BERLIN = ReportSchedule(
    at="09:00", tz="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"]
)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)  # 2026-12-07 is a Monday


def test_latest_run_is_the_scheduled_minute_in_the_zone() -> None:
    # 09:00 in Berlin is 08:00 UTC in December
    assert latest_run(WEEKDAYS_0900_BERLIN, utc(8, 8, 0)) == utc(8, 8, 0)
    assert latest_run(WEEKDAYS_0900_BERLIN, utc(8, 7, 59)) == utc(7, 8, 0)


def test_monday_covers_the_weekend() -> None:
    monday = utc(7, 8)
    assert latest_run(WEEKDAYS_0900_BERLIN, utc(6, 12)) == utc(4, 8)  # Sunday: Friday's run
    assert period_of_run(WEEKDAYS_0900_BERLIN, monday) == Period(utc(4, 8), monday)
    assert period_of_run(WEEKDAYS_0900_BERLIN, utc(8, 8)) == Period(monday, utc(8, 8))
    assert runs_before(WEEKDAYS_0900_BERLIN, monday, 3) == [monday, utc(4, 8), utc(3, 8)]


def test_previous_period_has_the_same_length() -> None:
    period = Period(utc(4, 8), utc(7, 8))
    assert period.previous == Period(utc(1, 8), utc(4, 8))
    assert utc(4, 8) in period and utc(7, 8) not in period


def test_late_after_five_minutes() -> None:
    assert not is_late(utc(7, 8), utc(7, 8, 5))
    assert is_late(utc(7, 8), utc(7, 8, 5) + timedelta(seconds=1))
