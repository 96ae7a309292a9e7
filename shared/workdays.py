"""Working-day calendars (工作日): public holidays and make-up working weekends (调休).

The `holidays` package knows PRC substitutions (a Sunday worked in exchange for a longer holiday);
HK, MO and TW are selectable per estate. Deadlines in "working days" are computed here, in the
estate's own timezone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

CALENDARS = ("CN", "HK", "MO", "TW")


class WorkCalendar:
    def __init__(self, code: str = "CN"):
        if code not in CALENDARS:
            raise ValueError(f"unknown working-day calendar {code!r}")
        self.code = code
        self._holidays = holidays.country_holidays(code)

    def is_workday(self, day: date) -> bool:
        return self._holidays.is_working_day(day)

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_workdays(day, 1)

    def on_or_after(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (count ≥ 0; 0 gives `day` itself)."""
        if count < 0:
            raise ValueError("count must not be negative")
        while count:
            day += timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        n, day = 0, start
        while day < end:
            day += timedelta(days=1)
            n += self.is_workday(day)
        return n


@lru_cache(maxsize=8)
def calendar(code: str = "CN") -> WorkCalendar:
    return WorkCalendar(code)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def end_of_day(day: date, tz: str) -> datetime:
    """23:59:59 local on `day`, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz))


def start_of_day(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(tz))
