"""Counting in business hours: weekends, holidays, daylight-saving changes, time zones, window
edges, calendars that never open, and properties over random calendars (among them zones with
30-minute changes); and the response targets per priority counted in those hours.

Moments are UTC; a comment gives the local wall-clock time where it matters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from marketplace_support import ALWAYS, WEEKDAYS_9_TO_17, BusinessHours, Targets
from marketplace_support.business_hours import NeverOpen
from marketplace_support.priorities import Priority
from marketplace_support.sla import targets

from .conftest import examples

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
EVERY_DAY_9_TO_17 = tuple((("09:00", "17:00"),) for _ in range(7))
MICROSECOND = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> datetime:
    """A local wall-clock time of ``zone``, as UTC."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def midnight(zone: str, day: date) -> datetime:
    return local(zone, day.year, day.month, day.day)


def sunday_only(*windows: tuple[str, str]) -> tuple[tuple[tuple[str, str], ...], ...]:
    return ((), (), (), (), (), (), windows)


# weekends


def test_two_hours_from_friday_afternoon_are_due_on_monday_morning() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    friday_16 = utc(2026, 6, 5, 14)  # 16:00 in Berlin (CEST)
    assert hours.add(friday_16, 120) == utc(2026, 6, 8, 8)  # Monday 10:00 in Berlin


def test_between_counts_only_the_open_hours_over_a_weekend() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    friday_16 = utc(2026, 6, 5, 14)
    monday_10 = utc(2026, 6, 8, 8)
    assert hours.between(friday_16, monday_10) == 120
    saturday, sunday = date(2026, 6, 6), date(2026, 6, 7)
    assert hours.between(midnight(BERLIN, saturday), midnight(BERLIN, date(2026, 6, 8))) == 0
    assert hours.windows(saturday) == hours.windows(sunday) == []
    # a whole working week, Monday 00:00 to Monday 00:00: five days of eight hours
    week = midnight(BERLIN, date(2026, 6, 1)), midnight(BERLIN, date(2026, 6, 8))
    assert hours.between(*week) == 5 * 8 * 60


# holidays


WHIT_MONDAY = date(2026, 5, 25)


def test_a_holiday_on_monday_pushes_the_due_time_to_tuesday() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17, frozenset({WHIT_MONDAY}))
    friday_16 = utc(2026, 5, 22, 14)  # 16:00 in Berlin
    assert hours.add(friday_16, 120) == utc(2026, 5, 26, 8)  # Tuesday 10:00 in Berlin
    assert hours.between(friday_16, utc(2026, 5, 26, 8)) == 120
    assert hours.next_open(utc(2026, 5, 25, 8)) == utc(2026, 5, 26, 7)  # Tuesday 09:00


def test_the_calendar_is_closed_all_day_on_a_holiday() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17, frozenset({WHIT_MONDAY}))
    assert hours.windows(WHIT_MONDAY) == []
    start = midnight(BERLIN, WHIT_MONDAY)
    moments = [start + timedelta(minutes=m) for m in range(0, 24 * 60, 15)]
    assert not any(hours.is_open(moment) for moment in moments)
    assert hours.between(start, midnight(BERLIN, WHIT_MONDAY + timedelta(days=1))) == 0
    # the same Monday without the holiday is an ordinary working day
    assert BusinessHours(BERLIN, WEEKDAYS_9_TO_17).is_open(utc(2026, 5, 25, 10))


# Europe/Berlin across both daylight-saving changes of 2026

SPRING_FORWARD = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
FALL_BACK = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET


def test_a_due_time_counted_over_the_spring_change_is_monday_10_summer_time() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    friday_16 = utc(2026, 3, 27, 15)  # 16:00 CET (UTC+1)
    due = hours.add(friday_16, 120)
    assert due == utc(2026, 3, 30, 8)  # Monday 10:00 CEST (UTC+2)
    assert due.astimezone(ZoneInfo(BERLIN)).hour == 10


def test_a_due_time_counted_over_the_autumn_change_is_monday_10_winter_time() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    friday_16 = utc(2026, 10, 23, 14)  # 16:00 CEST (UTC+2)
    due = hours.add(friday_16, 120)
    assert due == utc(2026, 10, 26, 9)  # Monday 10:00 CET (UTC+1)
    assert due.astimezone(ZoneInfo(BERLIN)).hour == 10


@pytest.mark.parametrize(
    ("day", "open_hours"), [(SPRING_FORWARD, 23), (FALL_BACK, 25), (date(2026, 6, 7), 24)]
)
def test_a_calendar_open_around_the_clock_has_as_many_hours_as_the_day(
    day: date, open_hours: int
) -> None:
    hours = BusinessHours(BERLIN, ALWAYS)
    start, end = midnight(BERLIN, day), midnight(BERLIN, day + timedelta(days=1))
    assert end - start == timedelta(hours=open_hours)
    assert hours.between(start, end) == open_hours * 60
    assert hours.add(start, open_hours * 60) == end
    assert hours.is_open(start)
    assert hours.is_open(end - MICROSECOND)


def test_nine_to_five_on_the_day_of_the_spring_change_is_still_eight_hours() -> None:
    hours = BusinessHours(BERLIN, EVERY_DAY_9_TO_17)
    assert hours.windows(SPRING_FORWARD) == [(utc(2026, 3, 29, 7), utc(2026, 3, 29, 15))]
    assert hours.between(utc(2026, 3, 28, 12), utc(2026, 3, 30, 0)) == 4 * 60 + 8 * 60
    day = (midnight(BERLIN, SPRING_FORWARD), midnight(BERLIN, SPRING_FORWARD + timedelta(days=1)))
    assert hours.between(*day) == 8 * 60
    # Saturday 16:00 CET + 2 h: Sunday 10:00 CEST
    assert hours.add(utc(2026, 3, 28, 15), 120) == utc(2026, 3, 29, 8)


def test_nine_to_five_on_the_day_of_the_autumn_change_is_still_eight_hours() -> None:
    hours = BusinessHours(BERLIN, EVERY_DAY_9_TO_17)
    assert hours.windows(FALL_BACK) == [(utc(2026, 10, 25, 8), utc(2026, 10, 25, 16))]
    day = (midnight(BERLIN, FALL_BACK), midnight(BERLIN, FALL_BACK + timedelta(days=1)))
    assert hours.between(*day) == 8 * 60
    # Saturday 16:00 CEST + 2 h: Sunday 10:00 CET
    assert hours.add(utc(2026, 10, 24, 14), 120) == utc(2026, 10, 25, 9)


def test_a_window_partly_skipped_by_the_spring_change_never_counts_negative_time() -> None:
    # On 29 March the clock goes from 02:00 to 03:00: of 02:30-03:15 only 03:00-03:15 CEST
    # (01:00-01:15 UTC) is ever on the clock. (Were nonexistent times moved forward an hour,
    # as Python does, the window would be 03:30-03:15 that day: empty.) Either way, open time
    # is never negative.
    hours = BusinessHours(BERLIN, sunday_only(("02:30", "03:15")))
    saturday = utc(2026, 3, 28)
    assert hours.between(saturday, utc(2026, 3, 30)) in (15, 0)
    # ten minutes: 03:10 CEST that day, or (an empty window) 02:40 CEST a week later
    assert hours.add(saturday, 10) in (utc(2026, 3, 29, 1, 10), utc(2026, 4, 5, 0, 40))


def test_windows_around_the_spring_gap_do_not_count_the_same_hour_twice() -> None:
    # 01:00-02:30 and 03:00-04:00 on 29 March: the clock shows 01:00-02:00 CET (00:00-01:00
    # UTC) and 03:00-04:00 CEST (01:00-02:00 UTC), two hours in all, no more than elapse.
    # (Moving 02:30 forward to 03:30 CEST gives the same two hours: 00:00-02:00 UTC.)
    hours = BusinessHours(BERLIN, sunday_only(("01:00", "02:30"), ("03:00", "04:00")))
    sunday_0 = utc(2026, 3, 29)
    assert hours.between(sunday_0, utc(2026, 3, 29, 2)) == 120
    assert hours.add(sunday_0, 120) == utc(2026, 3, 29, 2)


# a tenant and a provider in different time zones


def test_a_tenant_in_berlin_and_a_provider_in_new_york_give_different_due_times() -> None:
    tenant = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    provider = BusinessHours(NEW_YORK, WEEKDAYS_9_TO_17)
    monday_6 = utc(2026, 6, 1, 6)  # 08:00 in Berlin, 02:00 in New York
    # Berlin opens 07:00 UTC: four hours later is 11:00 UTC (13:00 CEST)
    assert tenant.add(monday_6, 4 * 60) == utc(2026, 6, 1, 11)
    # New York opens 13:00 UTC (09:00 EDT): four hours later is 17:00 UTC (13:00 EDT)
    assert provider.add(monday_6, 4 * 60) == utc(2026, 6, 1, 17)
    # ten hours: a whole first day, then two hours of Tuesday
    assert tenant.add(monday_6, 10 * 60) == utc(2026, 6, 2, 9)  # Tuesday 11:00 CEST
    assert provider.add(monday_6, 10 * 60) == utc(2026, 6, 2, 15)  # Tuesday 11:00 EDT


def test_friday_evening_in_berlin_is_still_friday_afternoon_in_new_york() -> None:
    tenant = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    provider = BusinessHours(NEW_YORK, WEEKDAYS_9_TO_17)
    friday_18 = utc(2026, 6, 5, 18)  # 20:00 in Berlin, 14:00 in New York
    assert not tenant.is_open(friday_18)
    assert provider.is_open(friday_18)
    assert tenant.add(friday_18, 60) == utc(2026, 6, 8, 8)  # Monday 10:00 CEST
    assert provider.add(friday_18, 60) == utc(2026, 6, 5, 19)  # Friday 15:00 EDT


# window edges


MONDAY_9_BERLIN = utc(2026, 6, 1, 7)
MONDAY_17_BERLIN = utc(2026, 6, 1, 15)


def test_a_window_is_open_at_its_start_and_closed_at_its_end() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    assert not hours.is_open(MONDAY_9_BERLIN - MICROSECOND)
    assert hours.is_open(MONDAY_9_BERLIN)
    assert hours.is_open(MONDAY_17_BERLIN - MICROSECOND)
    assert not hours.is_open(MONDAY_17_BERLIN)


def test_next_open_is_the_moment_itself_inside_a_window_else_the_next_start() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    assert hours.next_open(MONDAY_9_BERLIN) == MONDAY_9_BERLIN
    assert hours.next_open(MONDAY_9_BERLIN - MICROSECOND) == MONDAY_9_BERLIN
    assert hours.next_open(utc(2026, 6, 1, 10)) == utc(2026, 6, 1, 10)
    assert hours.next_open(MONDAY_17_BERLIN - MICROSECOND) == MONDAY_17_BERLIN - MICROSECOND
    assert hours.next_open(MONDAY_17_BERLIN) == utc(2026, 6, 2, 7)  # Tuesday 09:00
    assert hours.next_open(utc(2026, 6, 5, 15)) == utc(2026, 6, 8, 7)  # Friday 17:00 → Monday


def test_a_due_time_that_fills_a_window_is_its_end_not_the_next_opening() -> None:
    hours = BusinessHours(BERLIN, WEEKDAYS_9_TO_17)
    assert hours.add(MONDAY_9_BERLIN, 8 * 60) == MONDAY_17_BERLIN
    assert hours.add(MONDAY_17_BERLIN, 1) == utc(2026, 6, 2, 7, 1)
    assert hours.add(MONDAY_9_BERLIN, 0) == MONDAY_9_BERLIN


def test_windows_that_meet_at_midnight_count_as_one_stretch() -> None:
    hours = BusinessHours(BERLIN, ALWAYS)
    midnight_tuesday = midnight(BERLIN, date(2026, 6, 2))
    assert hours.is_open(midnight_tuesday)
    assert hours.next_open(midnight_tuesday) == midnight_tuesday
    assert hours.add(midnight_tuesday - timedelta(minutes=30), 60) == (
        midnight_tuesday + timedelta(minutes=30)
    )


@pytest.mark.parametrize(
    ("monday", "open_minutes"),
    [
        ((("13:00", "17:00"), ("09:00", "12:00")), 7 * 60),  # listed out of order
        ((("09:00", "12:00"), ("10:00", "13:00")), 4 * 60),  # overlapping: 09:00-13:00
    ],
)
def test_windows_listed_out_of_order_or_overlapping_count_each_open_minute_once(
    monday: tuple[tuple[str, str], ...], open_minutes: int
) -> None:
    # Such a week may be refused when the calendar is made; if it is accepted, it counts in
    # time order and each open minute once.
    try:
        hours = BusinessHours("UTC", (monday, (), (), (), (), (), ()))
    except ValueError:
        return
    monday_8 = utc(2026, 6, 1, 8)
    assert hours.between(monday_8, utc(2026, 6, 2)) == open_minutes
    assert hours.next_open(monday_8) == utc(2026, 6, 1, 9)
    assert hours.add(monday_8, 60) == utc(2026, 6, 1, 10)
    assert hours.between(monday_8, hours.add(monday_8, 60)) == 60


# calendars that never open, and invalid ones


def test_a_calendar_without_open_hours_never_gets_a_due_time() -> None:
    closed = BusinessHours(BERLIN, ((),) * 7)
    with pytest.raises(NeverOpen):
        closed.add(utc(2026, 6, 1), 1)
    with pytest.raises(NeverOpen):
        closed.next_open(utc(2026, 6, 1))
    assert not closed.is_open(utc(2026, 6, 1, 10))


def test_open_hours_are_counted_over_more_than_three_years() -> None:
    """A ticket left open for years still has its open hours counted (the horizon is three
    closed years in a row, not three years from the start)."""
    start = utc(2026, 6, 1)  # a Monday
    weeks = 5 * 52
    always = BusinessHours("UTC", ALWAYS)
    assert always.between(start, start + timedelta(weeks=weeks)) == weeks * 7 * 24 * 60
    weekdays = BusinessHours("UTC")
    assert weekdays.between(start, start + timedelta(weeks=weeks)) == weeks * 5 * 8 * 60
    assert weekdays.add(start, weeks * 5 * 8 * 60) == start + timedelta(
        weeks=weeks - 1, days=4, hours=17
    )


def test_a_calendar_whose_only_day_is_a_holiday_every_year_for_three_years_never_opens() -> None:
    sundays = frozenset(date(2026, 6, 7) + timedelta(weeks=w) for w in range(3 * 53))
    hours = BusinessHours(BERLIN, sunday_only(("09:00", "17:00")), sundays)
    with pytest.raises(NeverOpen):
        hours.add(utc(2026, 6, 1), 1)


@pytest.mark.parametrize(
    "window",
    [
        ("17:00", "09:00"),
        ("09:00", "09:00"),
        ("24:00", "24:00"),
        ("09:00", "24:01"),
        ("-01:00", "09:00"),
        ("09:00", "25:00"),
        ("9", "17:00"),
        ("nine", "17:00"),
        ("09:60", "17:00"),
        ("10:-5", "17:00"),
    ],
)
def test_an_invalid_window_is_refused(window: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        BusinessHours(BERLIN, ((window,), (), (), (), (), (), ()))


def test_a_week_needs_seven_days() -> None:
    with pytest.raises(ValueError):
        BusinessHours(BERLIN, WEEKDAYS_9_TO_17[:6])
    with pytest.raises(ValueError):
        BusinessHours(BERLIN, (*WEEKDAYS_9_TO_17, ()))


@pytest.mark.parametrize("zone", ["Europe/Nowhere", "Mars/Olympus_Mons", "Europe/Berlin "])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        BusinessHours(zone, WEEKDAYS_9_TO_17)


@pytest.mark.parametrize("zone", ["", "../etc/passwd", "/Europe/Berlin"])
def test_a_malformed_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValueError):
        BusinessHours(zone, WEEKDAYS_9_TO_17)


# properties over random calendars

ZONES = [BERLIN, NEW_YORK, "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
#: the changes of 2026, as UTC moments
CHANGES = {
    BERLIN: [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)],
    NEW_YORK: [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)],
    # 02:00 becomes 01:30 in April, and 02:30 in October
    "Australia/Lord_Howe": [utc(2026, 4, 4, 15), utc(2026, 10, 3, 15, 30)],
    "Asia/Kolkata": [],
    "UTC": [],
}
PROPERTY = settings(max_examples=examples(200), deadline=None, database=None)

#: window ends in minutes of the day, often inside the hours a change skips or repeats
boundaries = st.one_of(
    st.integers(0, 24 * 60),
    st.sampled_from([0, 90, 120, 130, 135, 140, 150, 160, 165, 170, 180, 195, 540, 1020, 1440]),
)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    """Sorted, non-overlapping windows of one day."""
    points = sorted(draw(st.lists(boundaries, max_size=6, unique=True)))
    return tuple((hhmm(a), hhmm(b)) for a, b in zip(points[::2], points[1::2], strict=False))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessHours:
    zone = draw(st.sampled_from(ZONES))
    week = tuple(draw(day_windows()) for _ in range(7))
    weekly = sum(to_minutes(end) - to_minutes(start) for day in week for start, end in day)
    assume(weekly >= 4 * 60)  # enough to count 10,000 minutes well within three years
    holidays = draw(st.frozensets(st.dates(date(2025, 12, 20), date(2027, 12, 31)), max_size=10))
    return BusinessHours(zone, week, holidays)


@st.composite
def starts(draw: st.DrawFn, hours: BusinessHours) -> datetime:
    """A moment of 2026, often within days of one of the calendar's zone's changes."""
    anywhere = st.datetimes(
        datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59, 59), timezones=st.just(UTC)
    )
    changes = CHANGES[hours.timezone]
    if not changes:
        return draw(anywhere)
    near_a_change = st.builds(
        lambda change, offset: change + offset,
        st.sampled_from(changes),
        st.timedeltas(-timedelta(days=2), timedelta(hours=6)),
    )
    return draw(st.one_of(anywhere, near_a_change))


@st.composite
def calendars_and_starts(draw: st.DrawFn) -> tuple[BusinessHours, datetime]:
    hours = draw(calendars())
    return hours, draw(starts(hours))


minutes = st.one_of(
    st.integers(1, 10_000), st.floats(1, 10_000, allow_nan=False, allow_infinity=False)
)


@PROPERTY
@given(scenario=calendars_and_starts(), amount=minutes)
def test_a_due_time_never_falls_in_closed_hours_and_is_exactly_that_much_open_time(
    scenario: tuple[BusinessHours, datetime], amount: float
) -> None:
    hours, start = scenario
    due = hours.add(start, amount)
    assert due > start
    assert hours.is_open(due) or hours.is_open(due - MICROSECOND)
    assert hours.between(start, due) == pytest.approx(amount, abs=1e-6)


@PROPERTY
@given(scenario=calendars_and_starts(), amount=minutes)
def test_open_time_is_never_negative_nor_more_than_the_time_that_passes(
    scenario: tuple[BusinessHours, datetime], amount: float
) -> None:
    hours, start = scenario
    end = start + timedelta(minutes=amount)
    elapsed = (end - start) / timedelta(minutes=1)
    assert 0 <= hours.between(start, end) <= elapsed + 1e-6


@PROPERTY
@given(scenario=calendars_and_starts())
def test_the_windows_of_a_day_are_in_order_and_never_overlap_even_on_a_change(
    scenario: tuple[BusinessHours, datetime],
) -> None:
    hours, start = scenario
    zone = ZoneInfo(hours.timezone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    days = {first + timedelta(days=k) for k in range(3)}
    days |= {change.astimezone(zone).date() for change in CHANGES[hours.timezone]}
    for day in sorted(days):
        windows = [w for d in (day, day + timedelta(days=1)) for w in hours.windows(d)]
        for (start_1, end_1), (start_2, _end_2) in pairwise(windows):
            assert start_1 <= end_1 <= start_2, (day, windows)
        day_start, day_end = (
            midnight(hours.timezone, day),
            midnight(hours.timezone, day + timedelta(days=1)),
        )
        day_length = (day_end - day_start) / timedelta(minutes=1)
        assert 0 <= hours.between(day_start, day_end) <= day_length


@PROPERTY
@given(scenario=calendars_and_starts(), amounts=st.tuples(minutes, minutes).map(sorted))
def test_more_minutes_are_never_due_sooner(
    scenario: tuple[BusinessHours, datetime], amounts: list[float]
) -> None:
    hours, start = scenario
    fewer, more = amounts
    assert hours.add(start, fewer) <= hours.add(start, more)


target_hours = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False))
host_tables = st.dictionaries(
    st.sampled_from([p.value for p in Priority]),
    st.builds(Targets, first_response=target_hours, resolution=target_hours),
)


@settings(
    max_examples=examples(200),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scenario=calendars_and_starts(),
    table=host_tables,
    plan=st.sampled_from([None, "gold"]),
)
def test_the_same_ticket_is_never_due_sooner_at_a_lower_priority_than_at_a_higher_one(
    app, scenario: tuple[BusinessHours, datetime], table: dict[str, Targets], plan: str | None
) -> None:
    hours, start = scenario
    # the host's table may give a lower priority a shorter target than a higher one
    host = app.extensions["marketplace_support"].host
    host.sla_targets = lambda tenant_id, service_plan: table
    with app.app_context():
        chosen = {p: targets("t1", plan, p) for p in Priority}
    due = {
        p: (hours.add(start, t.first_response * 60), hours.add(start, t.resolution * 60))
        for p, t in chosen.items()
    }
    for higher in Priority:
        for lower in Priority:
            if higher.rank >= lower.rank:
                assert chosen[higher].first_response <= chosen[lower].first_response
                assert chosen[higher].resolution <= chosen[lower].resolution
                assert due[higher][0] <= due[lower][0]
                assert due[higher][1] <= due[lower][1]
    # and no priority gets less than the host asks for it
    for priority, asked in table.items():
        assert chosen[Priority(priority)].first_response >= asked.first_response
        assert chosen[Priority(priority)].resolution >= asked.resolution
