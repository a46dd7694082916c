"""Times for people, exactly as Babel's ``format_datetime`` writes them, at a fraction of its
cost per call.

Babel resolves the locale's patterns and looks up its data again for every timestamp (about
0.2 ms each: a list of 25 tickets shows 50). A :class:`DateTimeFormat` resolves them once for
one locale and format, then writes each moment from two parts:

- the date, which depends on the day alone: Babel writes each day once (kept by day in the
  :class:`DateTimeFormat` of the locale, zone and format);
- the time, from the locale's pattern, when it holds only hours, minutes, seconds and AM/PM
  (the numbers are written as Babel writes them, the AM/PM names are Babel's own); a pattern
  with anything else (a zone name, fractions of a second) is left to Babel.

The result is the same string Babel returns (``tests/test_i18n.py`` compares them over many
moments, locales, zones and formats).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Literal, cast

from babel import Locale, dates

Format = Literal["full", "long", "medium", "short"]

#: Babel's named formats
PREDEFINED_FORMATS: tuple[Format, ...] = ("full", "long", "medium", "short")

#: pattern characters whose value depends on the day only (era, years, quarters, months,
#: weeks, days, weekdays)
_DATE_FIELDS = frozenset("GyYuQqMLwWdDFgEec")

_CLOCK: dict[str, Callable[[dt.datetime], int]] = {
    "h": lambda moment: moment.hour % 12 or 12,
    "H": lambda moment: moment.hour,
    "K": lambda moment: moment.hour % 12,
    "k": lambda moment: moment.hour or 24,
    "m": lambda moment: moment.minute,
    "s": lambda moment: moment.second,
}

Writer = Callable[[dt.datetime], str]


def _fields(pattern: str) -> Iterator[tuple[str, int]]:
    """The fields of a Babel pattern: (character, how often it repeats)."""
    for kind, value in dates.tokenize_pattern(pattern):
        if kind == "field":
            char, width = cast("tuple[str, int]", value)
            yield char, width


def _number(read: Callable[[dt.datetime], int], width: int) -> Writer:
    # as Babel's DateTimeFormat.format: "%0*d" % (width, value)
    return lambda moment: f"{read(moment):0{width}d}"


def _period(name: str, locale: Locale) -> Writer:
    """AM or PM (field ``a``), in Babel's words for the locale."""
    morning, afternoon = (dates.DateTimeFormat(dt.time(hour), locale)[name] for hour in (0, 12))
    return lambda moment: afternoon if moment.hour >= 12 else morning


def _time_writer(pattern: str, locale: Locale) -> Writer | None:
    """A function writing a local time as ``pattern`` says, or None when the pattern holds a
    field it does not know (Babel then writes the time)."""
    fields: dict[str, Writer] = {}
    for char, width in _fields(pattern):
        if char in _CLOCK:
            fields[char * width] = _number(_CLOCK[char], width)
        elif char == "a":
            fields[char * width] = _period(char * width, locale)
        else:
            return None
    template = str(dates.parse_pattern(pattern).format)
    # the time reads the same for every moment of one minute (of one second, where the
    # pattern shows seconds): written once per minute of the day, at most 1,440 (86,400)
    seconds = any(name.startswith("s") for name in fields)
    written: dict[tuple[int, int, int], str] = {}

    def write(moment: dt.datetime) -> str:
        key = (moment.hour, moment.minute, moment.second if seconds else 0)
        found = written.get(key)
        if found is None:
            found = written[key] = template % {name: w(moment) for name, w in fields.items()}
        return found

    return write


#: how many days' dates a :class:`DateTimeFormat` keeps written
DAYS_KEPT = 4096


class DateTimeFormat:
    """Writes UTC moments in one locale, zone and named format, as
    ``babel.dates.format_datetime`` does. Made once per locale, zone and format in a process
    (:meth:`of`): what it holds comes from Babel's locale data, the same everywhere."""

    @staticmethod
    @lru_cache(maxsize=256)
    def of(
        locale: Locale,
        tzinfo: dt.tzinfo,
        format: Format = "medium",
        time_format: Format | None = None,
    ) -> DateTimeFormat:
        return DateTimeFormat(locale, tzinfo, format, time_format)

    def __init__(
        self,
        locale: Locale,
        tzinfo: dt.tzinfo,
        format: Format = "medium",
        time_format: Format | None = None,
    ) -> None:
        """``time_format`` writes the time in another of Babel's formats than the date (pages
        write the date "medium" and the time "short": to the minute)."""
        self.locale, self.tzinfo, self.format = locale, tzinfo, format
        self.time_format: Format = time_format or format
        # as Babel: the combination's quotes are dropped, {0} is the time, {1} the date
        self._combined = str(dates.get_datetime_format(format, locale=locale)).replace("'", "")
        date_pattern = str(dates.get_date_format(format, locale=locale))
        self._date_by_day = all(char in _DATE_FIELDS for char, _ in _fields(date_pattern))
        time_pattern = str(dates.get_time_format(self.time_format, locale=locale))
        self._time = _time_writer(time_pattern, locale)
        # each day's date as Babel writes it, by day (a list's times share few days)
        self._dates: dict[dt.date, str] = {}

    def __call__(self, value: dt.datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        # Babel also calls a pytz zone's normalize(): after astimezone() it changes nothing
        local = value.astimezone(self.tzinfo)
        if self._time is None:
            time = dates.format_time(local, self.time_format, locale=self.locale)
        else:
            time = self._time(local)
        if self._date_by_day:
            date = self._date(local.date())
        else:
            date = dates.format_date(local, self.format, locale=self.locale)
        return self._combined.replace("{0}", time).replace("{1}", date)

    def _date(self, day: dt.date) -> str:
        written = self._dates.get(day)
        if written is None:
            if len(self._dates) >= DAYS_KEPT:
                self._dates.clear()
            written = self._dates[day] = dates.format_date(day, self.format, locale=self.locale)
        return written
