"""When a route's shift report is due, and which period it covers: pure functions over `ReportSchedule`.

A schedule's **runs** are its `at` time of day on its `days`, in its `tz` (a run at a time the clock
skips on a daylight-saving change happens at the same wall time after the jump, as `zoneinfo` maps it).
The report of a run covers the period from the run before it to this run (Monday's report at 09:00 on
weekdays covers the weekend, from Friday 09:00), and compares with the period of the same length before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.routing_file import WEEKDAYS, ReportSchedule

LATE_AFTER = timedelta(minutes=5)
"""A run posted more than this after its time is marked late (the bot was down, or busy)."""

_LOOK_BACK_DAYS = 8


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous(self) -> Period:
        return Period(self.start - self.length, self.start)

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


def _run_on(schedule: ReportSchedule, day: date) -> datetime | None:
    if WEEKDAYS[day.weekday()] not in schedule.days:
        return None
    hours, minutes = (int(part) for part in schedule.at.split(":"))
    local = datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(schedule.tz))
    return local.astimezone(UTC)


def runs_before(schedule: ReportSchedule, moment: datetime, count: int = 2) -> list[datetime]:
    """The latest `count` runs at or before `moment`, newest first (UTC); fewer if the days allow none."""
    local_day = moment.astimezone(ZoneInfo(schedule.tz)).date()
    found: list[datetime] = []
    for back in range(_LOOK_BACK_DAYS * count):
        run = _run_on(schedule, local_day - timedelta(days=back))
        if run is not None and run <= moment:
            found.append(run)
            if len(found) == count:
                break
    return found


def latest_run(schedule: ReportSchedule, moment: datetime) -> datetime | None:
    """The newest run at or before `moment`: the one a report is owed for, if not posted yet."""
    runs = runs_before(schedule, moment, 1)
    return runs[0] if runs else None


def period_of_run(schedule: ReportSchedule, run: datetime) -> Period:
    """From the run before `run` to `run` (one day if there is none within a week)."""
    runs = runs_before(schedule, run - timedelta(seconds=1), 1)
    return Period(runs[0] if runs else run - timedelta(days=1), run)


def is_late(run: datetime, posted_at: datetime) -> bool:
    return posted_at - run > LATE_AFTER
