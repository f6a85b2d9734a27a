"""Business-time arithmetic (tessera.sla.calendar): examples a support lead can check by hand,
then properties over random calendars, zones (with DST, half-hour and 45-minute offsets),
holidays and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    Opening,
    parse_hours,
    parse_ical_holidays,
    weekly,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = range(5)


def office(zone: str = "America/New_York", *holidays: date) -> BusinessCalendar:
    return BusinessCalendar(
        "office", zone, weekly([(WEEKDAYS, "09:00-17:00")]), frozenset(holidays)
    )


def always(zone: str) -> BusinessCalendar:
    return BusinessCalendar("always", zone, weekly([(range(7), "00:00-24:00")]))


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# ------------------------------------------------------------------------------- examples


def test_two_hours_from_friday_afternoon_end_on_monday_morning() -> None:
    # Given office hours 9-17 on weekdays, and Friday 16:00 in New York
    start = local(NY, 2025, 3, 7, 16, 0)

    # When two business hours are added
    due = office().add(start, timedelta(hours=2))

    # Then one hour is left on Friday and the other ends Monday 10:00 (now EDT: DST began Sunday)
    assert due == local(NY, 2025, 3, 10, 10, 0)
    assert due.utcoffset() == timedelta(0)  # answers are UTC
    assert office().between(start, due) == timedelta(hours=2)


def test_starting_while_closed_counts_from_the_next_opening() -> None:
    start = local(NY, 2025, 3, 8, 11, 0)  # a Saturday
    assert office().add(start, timedelta(minutes=30)) == local(NY, 2025, 3, 10, 9, 30)


def test_zero_duration_is_the_start_itself_even_when_closed() -> None:
    start = local(NY, 2025, 3, 8, 11, 0)
    assert office().add(start, timedelta(0)) == start


def test_a_holiday_closes_its_whole_local_day() -> None:
    # Given Christmas as a holiday
    calendar = office("Europe/Berlin", date(2025, 12, 25))

    # When 4 hours are added on Christmas Eve at 15:00
    due = calendar.add(local(BERLIN, 2025, 12, 24, 15, 0), timedelta(hours=4))

    # Then two hours are used on the 24th and two on the 26th
    assert due == local(BERLIN, 2025, 12, 26, 11, 0)


def test_night_shift_crosses_midnight_and_a_holiday_cuts_its_second_half() -> None:
    # Given a Friday night shift 22:00-06:00 and Saturday 27 December a holiday
    calendar = BusinessCalendar(
        "night", "Europe/Berlin", weekly([([4], "22:00-06:00")]), frozenset({date(2025, 12, 27)})
    )
    friday = local(BERLIN, 2025, 12, 26, 0, 0)

    # Then that Friday's shift holds only its two hours before midnight
    assert calendar.between(friday, friday + timedelta(days=3)) == timedelta(hours=2)
    # And the next Friday's shift holds all eight
    assert calendar.between(friday + timedelta(days=7), friday + timedelta(days=10)) == timedelta(
        hours=8
    )


def test_sunday_night_shift_runs_into_monday() -> None:
    calendar = BusinessCalendar("n", "UTC", weekly([([6], "20:00-04:00")]))
    start = datetime(2025, 3, 9, 23, 0, tzinfo=UTC)  # Sunday 23:00
    assert calendar.add(start, timedelta(hours=3)) == datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def test_dst_days_hold_their_real_length() -> None:
    # A 24/7 calendar in New York: the spring-forward day has 23 hours, the fall-back day 25
    calendar = always("America/New_York")
    assert calendar.between(local(NY, 2025, 3, 9), local(NY, 2025, 3, 10)) == timedelta(hours=23)
    assert calendar.between(local(NY, 2025, 11, 2), local(NY, 2025, 11, 3)) == timedelta(hours=25)


def test_an_opening_inside_the_spring_forward_gap_starts_when_the_clock_jumps() -> None:
    # 02:30-03:30 on 9 March 2025 in New York: 02:00-03:00 does not exist; open 03:00-03:30
    calendar = BusinessCalendar("g", "America/New_York", weekly([(range(7), "02:30-03:30")]))
    day = local(NY, 2025, 3, 9)
    assert calendar.between(day, day + timedelta(days=1)) == timedelta(minutes=30)
    assert calendar.add(day, timedelta(minutes=1)) == local(NY, 2025, 3, 9, 3, 1)


def test_an_opening_over_the_repeated_hour_keeps_both_occurrences() -> None:
    # 01:00-01:30 on 2 November 2025 in New York: 01:00 EDT to the second 01:30 (EST)
    calendar = BusinessCalendar("f", "America/New_York", weekly([(range(7), "01:00-01:30")]))
    day = local(NY, 2025, 11, 2)
    assert calendar.between(day, day + timedelta(days=1)) == timedelta(minutes=90)


def test_is_open() -> None:
    assert office().is_open(local(NY, 2025, 3, 7, 9, 0))
    assert not office().is_open(local(NY, 2025, 3, 7, 17, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00-17:30", (540, 1050)), ("00:00-24:00", (0, 1440)), ("22:00-06:00", (1320, 360))],
)
def test_parse_hours(text: str, expected: tuple[int, int]) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text", ["9-17", "09:00-09:00", "25:00-26:00", "09:60-10:00", "24:30-1:00"]
)
def test_parse_hours_refuses(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_hours(text)


def test_a_calendar_needs_hours_and_a_real_zone() -> None:
    with pytest.raises(CalendarError, match="no opening hours"):
        BusinessCalendar("empty", "UTC", [])
    with pytest.raises(CalendarError, match="IANA"):
        BusinessCalendar("bad", "Mars/Olympus", weekly([(WEEKDAYS, "09:00-17:00")]))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        office().add(datetime(2025, 3, 7, 9), timedelta(hours=1))


# ----------------------------------------------------------------------------- properties

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kathmandu",  # +05:45
    "America/Santiago",  # DST changes at midnight
    "Asia/Tehran",
    "Pacific/Chatham",
]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    openings = draw(
        st.lists(
            st.builds(
                Opening,
                weekday=st.integers(0, 6),
                start=st.integers(0, 1439),
                end=st.integers(1, 1440),
            ),
            min_size=1,
            max_size=6,
        )
    )
    base = date(2024, 1, 1)
    holidays = draw(
        st.frozensets(st.integers(0, 3 * 366).map(lambda n: base + timedelta(days=n)), max_size=40)
    )
    return BusinessCalendar("random", draw(st.sampled_from(ZONES)), openings, holidays)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations)
def test_adding_business_time_then_measuring_it_back_is_exact(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add(start, duration)
    assert due >= start
    assert calendar.between(start, due) == duration
    # and nothing later would also do: the due instant is the earliest with that much time
    if duration > timedelta(0):
        assert calendar.between(start, due - timedelta(microseconds=1)) < duration


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, instants, instants)
def test_business_time_adds_up_across_any_split(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted([a, b, c])
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert timedelta(0) <= calendar.between(a, c) <= c - a


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations, durations)
def test_add_is_monotone_and_composes(
    calendar: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta
) -> None:
    assert calendar.add(calendar.add(start, d1), d2) >= calendar.add(start, d1 + d2)
    if d1 <= d2:
        assert calendar.add(start, d1) <= calendar.add(start, d2)
    # composing only differs when the first sum lands at the very end of an opening
    first = calendar.add(start, d1)
    assert calendar.between(start, calendar.add(first, d2)) == d1 + d2


@settings(max_examples=150, deadline=None)
@given(calendars())
def test_holidays_hold_no_business_time(calendar: BusinessCalendar) -> None:
    zone = ZoneInfo(calendar.timezone)
    for day in sorted(calendar.holidays)[:5]:
        begin = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        assert calendar.between(begin, end) == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants, durations)
def test_an_always_open_calendar_is_real_time(zone: str, start: datetime, d: timedelta) -> None:
    assert always(zone).add(start, d) == start + d


# ------------------------------------------------------------------------------- iCalendar

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:1@example\r
DTSTART;VALUE=DATE:20251225\r
DTEND;VALUE=DATE:20251227\r
SUMMARY:Christmas\\, both days\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
DTSTART;VALUE=DATE:20260101\r
SUMMARY:New\r
  Year\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260406\r
DURATION:P1D\r
SUMMARY:Easter Monday\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ical_all_day_events_become_holiday_dates() -> None:
    holidays = parse_ical_holidays(ICS)
    assert [(h.day, h.name) for h in holidays] == [
        (date(2025, 12, 25), "Christmas, both days"),
        (date(2025, 12, 26), "Christmas, both days"),
        (date(2026, 1, 1), "New Year"),
        (date(2026, 4, 6), "Easter Monday"),
    ]
    assert holidays[0].line == 6


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("DTSTART:20251225T090000Z", "line 2: '20251225T090000Z' is not an all-day date"),
        ("DTSTART;VALUE=DATE:20251225\nRRULE:FREQ=YEARLY", "line 3: RRULE is not supported"),
        ("DTSTART;VALUE=DATE:20251345", "line 2: '20251345' is not a date"),
        ("DTSTART;VALUE=DATE:20251225\nDURATION:PT8H", "line 3: DURATION 'PT8H'"),
        ("SUMMARY:no start", "line 3: a VEVENT without DTSTART"),
    ],
)
def test_ical_refusals_name_the_line(body: str, problem: str) -> None:
    with pytest.raises(CalendarError, match=problem.replace("(", r"\(")):
        parse_ical_holidays(f"BEGIN:VEVENT\n{body}\nEND:VEVENT\n")


def test_ical_unterminated_event_is_refused() -> None:
    with pytest.raises(CalendarError, match="no END:VEVENT"):
        parse_ical_holidays("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20251225\n")
