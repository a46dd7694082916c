"""Counting time in business hours: opening hours per weekday, holidays, a time zone.

All moments in and out are timezone-aware UTC; opening hours are local wall-clock times of
the calendar's zone, so a day across a daylight-saving change is as long as the clock says
(09:00-17:00 is eight hours on the day the clocks change as on any other).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

#: Monday to Friday, 09:00-17:00
WEEKDAYS_9_TO_17: tuple[tuple[tuple[str, str], ...], ...] = (
    *((("09:00", "17:00"),) for _ in range(5)),
    (),
    (),
)
#: every hour of every day
ALWAYS: tuple[tuple[tuple[str, str], ...], ...] = tuple((("00:00", "24:00"),) for _ in range(7))

#: how many days in a row without open hours make a calendar one with none
_HORIZON_DAYS = 3 * 366


class NeverOpen(ValueError):
    """A calendar without any open hours for three years in a row."""


@dataclass(frozen=True)
class BusinessHours:
    """When a tenant or a provider works: ``week`` has one entry per weekday (0 = Monday),
    each a tuple of ("HH:MM", "HH:MM") opening windows in local time ("24:00" ends a day);
    ``holidays`` are local dates without any open hours."""

    timezone: str = "UTC"
    week: tuple[tuple[tuple[str, str], ...], ...] = WEEKDAYS_9_TO_17
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("business hours need seven weekdays (Monday first)")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        for windows in self.week:
            previous_end = -1
            for start, end in windows:
                if not 0 <= _minutes(start) < _minutes(end) <= 24 * 60:
                    raise ValueError(f"not an opening window: {start}-{end}")
                if _minutes(start) < previous_end:
                    raise ValueError("a day's opening windows must be in order, without overlap")
                previous_end = _minutes(end)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open windows of a local date, as UTC moments."""
        if day in self.holidays:
            return []
        found = []
        for start, end in self.week[day.weekday()]:
            found.append((self._at(day, _minutes(start)), self._at(day, _minutes(end))))
        return found

    def _at(self, day: date, minutes: int) -> datetime:
        """The first moment the local clock shows ``minutes`` after midnight of ``day`` or
        later: a wall time the clocks skip (moved forward) is the moment they jump."""
        if minutes == 24 * 60:
            day, minutes = day + timedelta(days=1), 0
        wall = datetime.combine(day, time(minutes // 60, minutes % 60))
        moment = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if moment.astimezone(self.zone).replace(tzinfo=None) == wall:
            return moment
        # skipped: from the earliest reading of this wall time, the first minute at or past it
        earliest = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        step = timedelta(minutes=1)
        while earliest.astimezone(self.zone).replace(tzinfo=None) < wall:
            earliest += step
        return earliest

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open windows that end after ``moment``, in order, cut to start no earlier, for as
        long as the caller asks: only :data:`_HORIZON_DAYS` days in a row without any end the
        calendar (a ticket open for years still counts its open hours)."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        closed = 0
        while closed < _HORIZON_DAYS:
            closed += 1
            for start, end in self.windows(day):
                if end > moment:
                    closed = 0
                    yield max(start, moment), end
            day += timedelta(days=1)
        raise NeverOpen(f"no open hours for {_HORIZON_DAYS} days in a row in {self.timezone}")

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside an open window (its start included, end excluded)."""
        day = moment.astimezone(self.zone).date()
        return any(
            start <= moment < end
            for offset in (-1, 0, 1)
            for start, end in self.windows(day + timedelta(days=offset))
        )

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when open, else when the next window opens."""
        start, _end = next(self._windows_from(moment))
        return start

    def add(self, moment: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of open time after ``moment``. It lies inside an open window
        or at the end of one, never in closed hours."""
        if minutes <= 0:
            return moment
        left = timedelta(minutes=minutes)
        for start, end in self._windows_from(moment):
            if end - start >= left:
                return start + left
            left -= end - start
        raise AssertionError("unreachable: _windows_from raises first")

    def between(self, start: datetime, end: datetime) -> float:
        """Minutes of open time from ``start`` to ``end`` (0 when ``end`` is not later)."""
        if end <= start:
            return 0.0
        total = timedelta()
        for window_start, window_end in self._windows_from(start):
            if window_start >= end:
                break
            total += min(window_end, end) - window_start
        return total / timedelta(minutes=1)


@lru_cache(maxsize=256)
def _minutes(text: str) -> int:
    """Minutes after midnight of "HH:MM" (00:00 to 24:00). Raises ValueError otherwise.

    Kept per text: a calendar is checked when made, and read once per day it counts, on
    every new ticket and every change of one (a calendar holds a few distinct times)."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day: {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(f"not a time of day: {text!r}")
    return value
