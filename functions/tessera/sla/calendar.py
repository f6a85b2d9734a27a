"""Business time: weekly opening hours in an IANA time zone, minus holidays.

Pure and exact. Instants are aware datetimes (returned in UTC); durations are ``timedelta``s, so
arithmetic is exact to the microsecond and :meth:`BusinessCalendar.add` and
:meth:`BusinessCalendar.between` are inverses: ``between(t, add(t, d)) == d`` for every ``d >= 0``.

How local wall times become instants (the choices that make DST explainable):

- Opening hours are wall-clock times in the calendar's zone. Business time is *elapsed real time*
  inside the openings, so a 24-hour opening on the spring-forward day holds 23 hours and on the
  fall-back day 25.
- A wall time that does not exist (inside a spring-forward gap) means the first instant after
  the gap. A wall time that happens twice (fall-back) means its first occurrence when an opening
  starts there and its second when an opening ends there: an opening never loses the repeated
  hour it contains.
- An opening whose end is not after its start crosses midnight (``22:00-06:00`` ends at 06:00 the
  next day); ``24:00`` is the end of the day.
- A holiday closes its whole local date, from 00:00 to the next 00:00, whatever the openings say
  (including the part of a night shift that runs into it).

:func:`parse_ical_holidays` reads all-day events of an iCalendar (RFC 5545) file as holiday dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar that has no opening in this many weeks from an instant is broken; refuse to spin.
_HORIZON_WEEKS = 60 * 52

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """A calendar definition or an iCalendar file that cannot be used; says why."""


@dataclass(frozen=True)
class Opening:
    """Open on ``weekday`` (0 = Monday) from ``start`` to ``end``, in minutes after midnight.

    ``end`` in 1..1440 (1440 is 24:00); an ``end`` not after ``start`` is on the next day.
    """

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise CalendarError(f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise CalendarError("opening hours are 00:00 to 24:00")

    @property
    def minutes(self) -> int:
        length = (self.end - self.start) % MINUTES_PER_DAY
        return length or MINUTES_PER_DAY


def parse_hours(text: str) -> tuple[int, int]:
    """``"09:00-17:30"`` -> (540, 1050). ``24:00`` is allowed as an end; equal ends are refused."""
    match = _HOURS.match(text)
    if match is None:
        raise CalendarError(f"{text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise CalendarError(f"{text!r} is not a time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == start or (start == 0 and end == 0):
        raise CalendarError(f"{text!r} is empty (use 00:00-24:00 for a whole day)")
    return start, end or MINUTES_PER_DAY


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"{name!r} is not an IANA time zone") from None


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly openings in a time zone, minus holiday dates."""

    name: str
    timezone: str
    openings: Sequence[Opening]
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _week: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", zone(self.timezone))
        # Openings as minutes of the week, split at the week's end, sorted and merged: no two
        # overlap, so their starts are in order and the stream of instants below is too.
        spans: list[tuple[int, int]] = []
        for opening in self.openings:
            start = opening.weekday * MINUTES_PER_DAY + opening.start
            end = start + opening.minutes
            if end > MINUTES_PER_WEEK:
                spans += [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
            else:
                spans.append((start, end))
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if not merged:
            raise CalendarError(f"calendar {self.name!r} has no opening hours")
        object.__setattr__(self, "_week", tuple(merged))

    # -- the two operations -------------------------------------------------------------------
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has passed after ``start``."""
        if duration < timedelta(0):
            raise ValueError("a business duration cannot be negative")
        if duration == timedelta(0):
            return start.astimezone(UTC)
        left = duration
        for begin, end in self.intervals(start):
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable: intervals() never ends")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self.intervals(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total

    def is_open(self, at: datetime) -> bool:
        begin, _ = next(self.intervals(at))
        return begin == at.astimezone(UTC)

    def intervals(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business intervals ``[begin, end)`` in UTC, in order, clipped to start at ``after``
        (adjacent ones are merged within a week). Endless: raises after decades without one."""
        if after.tzinfo is None:
            raise ValueError("a naive datetime has no time zone; pass an aware one")
        after = after.astimezone(UTC)
        local = after.astimezone(self._zone).replace(tzinfo=None)
        monday = datetime.combine(
            local.date() - timedelta(days=local.weekday() + 7), datetime.min.time()
        )
        pending: tuple[datetime, datetime] | None = None
        quiet_weeks = 0
        while True:
            produced = False
            for start, end in self._week:
                begin = self._instant(monday + timedelta(minutes=start), late=False)
                finish = self._instant(monday + timedelta(minutes=end), late=True)
                for piece in self._without_holidays(begin, finish):
                    if piece[1] <= after:
                        continue
                    piece = (max(piece[0], after), piece[1])
                    produced = True
                    if pending is not None and piece[0] <= pending[1]:
                        pending = (pending[0], max(pending[1], piece[1]))
                        continue
                    if pending is not None:
                        yield pending
                    pending = piece
            quiet_weeks = 0 if produced else quiet_weeks + 1
            if quiet_weeks > _HORIZON_WEEKS:
                raise CalendarError(f"calendar {self.name!r} has no opening for decades")
            monday += timedelta(days=7)
            # Later weeks start at or after this Monday: what is pending is complete (an
            # interval running on into next week comes again as the next one, adjacent).
            if pending is not None:
                yield pending
                pending = None

    # -- local wall time -> instant -------------------------------------------------------------
    def _instant(self, wall: datetime, *, late: bool) -> datetime:
        first = wall.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        if first <= second:  # exists (once: equal; twice: first < second)
            return second if late else first
        # In a gap: fold=0 read it with the offset before the jump, fold=1 with the one after;
        # the jump itself is between them. Find it to the second (offsets are whole minutes).
        low, high = second, first
        before = low.astimezone(self._zone).utcoffset()
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self._zone).utcoffset() == before:
                low = middle
            else:
                high = middle
        return high.replace(microsecond=0) if high.microsecond else high

    def _without_holidays(
        self, begin: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        if begin >= end:
            return
        if not self.holidays:
            yield begin, end
            return
        first = begin.astimezone(self._zone).date()
        last = end.astimezone(self._zone).date()
        day = first
        while day <= last:
            if day in self.holidays:
                closed_from = self._instant(datetime.combine(day, datetime.min.time()), late=False)
                closed_to = self._instant(
                    datetime.combine(day + timedelta(days=1), datetime.min.time()), late=False
                )
                if closed_from > begin:
                    yield begin, min(closed_from, end)
                begin = max(begin, closed_to)
                if begin >= end:
                    return
            day += timedelta(days=1)
        yield begin, end


def weekly(hours: Iterable[tuple[Iterable[int], str]]) -> list[Opening]:
    """Openings from (weekdays, ``"HH:MM-HH:MM"``) pairs: ``weekly([(range(5), "9:00-17:00")])``."""
    openings = []
    for days, text in hours:
        start, end = parse_hours(text)
        openings += [Opening(day, start, end) for day in days]
    return openings


# ------------------------------------------------------------------------------ iCalendar


@dataclass(frozen=True)
class IcalHoliday:
    day: date
    name: str
    line: int  # the line of its DTSTART in the file, 1-based


def parse_ical_holidays(text: str) -> list[IcalHoliday]:
    """The all-day days of every VEVENT in an iCalendar text (the subset holiday feeds use).

    ``DTSTART;VALUE=DATE:20251225`` with an optional ``DTEND;VALUE=DATE`` (exclusive, so a
    multi-day event closes each day) or ``DURATION:P<n>D``. Refused, naming the line: an event
    with a time of day (a holiday is a whole day), an ``RRULE`` (list each year's date instead),
    a malformed date, an unterminated event.
    """
    holidays: list[IcalHoliday] = []
    event: dict[str, tuple[int, str, str]] | None = None  # NAME -> (line, params, value)
    for number, line in _unfolded(text):
        if not line.strip():
            continue
        name_part, _, value = line.partition(":")
        name, _, params = name_part.partition(";")
        name = name.upper()
        if name == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif name == "END" and value.upper() == "VEVENT":
            if event is None:
                raise CalendarError(f"line {number}: END:VEVENT without BEGIN:VEVENT")
            holidays += _event_days(event, number)
            event = None
        elif event is not None and name not in event:
            event[name] = (number, params.upper(), value.strip())
    if event is not None:
        raise CalendarError("the last VEVENT has no END:VEVENT")
    return holidays


def _unfolded(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines (RFC 5545 3.1: a line starting with a space or tab continues the last)."""
    current: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in {" ", "\t"} and current is not None:
            current = (current[0], current[1] + raw[1:])
            continue
        if current is not None:
            yield current
        current = (number, raw)
    if current is not None:
        yield current


def _event_days(event: dict[str, tuple[int, str, str]], end_line: int) -> list[IcalHoliday]:
    if "DTSTART" not in event:
        raise CalendarError(f"line {end_line}: a VEVENT without DTSTART")
    line, params, value = event["DTSTART"]
    if "RRULE" in event:
        raise CalendarError(
            f"line {event['RRULE'][0]}: RRULE is not supported; list each holiday's date"
        )
    start = _ical_date(line, params, value)
    summary = event.get("SUMMARY", (0, "", "holiday"))[2].replace("\\,", ",")
    if "DTEND" in event:
        end = _ical_date(*event["DTEND"])
    elif "DURATION" in event:
        d_line, _, duration = event["DURATION"]
        match = re.fullmatch(r"P(\d+)D", duration)
        if match is None:
            raise CalendarError(f"line {d_line}: DURATION {duration!r} is not whole days (P<n>D)")
        end = start + timedelta(days=int(match.group(1)))
    else:
        end = start + timedelta(days=1)
    if end <= start:
        raise CalendarError(f"line {line}: the event ends before it starts")
    days = (end - start).days
    return [IcalHoliday(start + timedelta(days=i), summary, line) for i in range(days)]


def _ical_date(line: int, params: str, value: str) -> date:
    if "VALUE=DATE" not in params.split(";") or not re.fullmatch(r"\d{8}", value):
        raise CalendarError(
            f"line {line}: {value!r} is not an all-day date (DTSTART;VALUE=DATE:YYYYMMDD)"
        )
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise CalendarError(f"line {line}: {value!r} is not a date") from None
