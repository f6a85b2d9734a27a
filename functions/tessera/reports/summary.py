"""Reading the aggregates: the summary, its series, CSAT comments and the tickets behind a
number, for a range of local dates in a time zone (docs/reports.md has each definition).

Cost: one read of the aggregate items of one dimension for the hours of the range (a Query per
calendar month touched); never a ticket. Totals are the rows merged (every ticket has exactly
one value of each single-valued dimension; with group_by=tag they are read from one),
percentiles come from the merged histograms.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tessera.errors import ValidationFailed
from tessera.reports import histogram
from tessera.reports.aggregates import AggregateStore
from tessera.reports.metrics import DIMENSIONS, MULTI_VALUED, hour_of, values_of

INTERVALS = ("day", "week", "month")
LIST_METRICS = ("created", "solved", "reopened")
MAX_DAYS = 400
TOTALS_DIMENSION = "channel"  # the dimension with the fewest values: totals and series read it


@dataclass(frozen=True)
class Window:
    """Local dates ``first``..``last`` (both included) in ``zone``, as UTC hours."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> str:
        return hour_of(datetime.combine(self.first, datetime.min.time(), self.zone))

    @property
    def end(self) -> str:
        following = self.last + timedelta(days=1)
        return hour_of(datetime.combine(following, datetime.min.time(), self.zone))

    def local(self, hour: str) -> datetime:
        return datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(self.zone)


def window(first: str | None, last: str | None, tz: str) -> Window:
    """The window of ``from``/``to`` (``YYYY-MM-DD``) in ``tz``; ValidationFailed naming the
    parameter otherwise."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("tz", "must be an IANA time zone such as Europe/Athens") from None
    dates = []
    for name, text in (("from", first), ("to", last)):
        if text is None:
            raise ValidationFailed(name, "is required")
        try:
            dates.append(date.fromisoformat(text))
        except ValueError:
            raise ValidationFailed(name, "must be a date such as 2026-11-01") from None
    if dates[1] < dates[0]:
        raise ValidationFailed("to", "must not be before from")
    if (dates[1] - dates[0]).days >= MAX_DAYS:
        raise ValidationFailed("to", f"must be within {MAX_DAYS} days of from")
    return Window(dates[0], dates[1], zone)


def _merge(into: dict[str, int], counters: Mapping[str, int]) -> None:
    for name, n in counters.items():
        into[name] = into.get(name, 0) + int(n)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _times(c: Mapping[str, int], name: str) -> dict[str, float | None]:
    def stats(prefix: str) -> tuple[float | None, float | None, float | None]:
        marker = f"{prefix}_h"
        hist = {int(k[len(marker) :]): n for k, n in c.items() if k.startswith(marker) and n}
        n = c.get(f"{prefix}_n", 0)
        mean = round(c.get(f"{prefix}_sum", 0) / n, 1) if n else None
        return histogram.quantile(hist, 0.5), histogram.quantile(hist, 0.9), mean

    median, p90, mean = stats(name)
    figures: dict[str, float | None] = {"median_s": median, "p90_s": p90, "mean_s": mean}
    if name != "asg":
        b_median, b_p90, b_mean = stats(name + "b")
        figures |= {
            "business_median_s": b_median,
            "business_p90_s": b_p90,
            "business_mean_s": b_mean,
        }
    return figures


def figures(key: str, c: Mapping[str, int]) -> dict[str, Any]:
    """One row of the summary from merged counters (the contract's names, then extensions)."""
    solved = c.get("solved", 0)
    responses = c.get("csat_n", 0)
    return {
        "key": key,
        "created": c.get("created", 0),
        "solved": solved,
        "reopened": c.get("reopened", 0),
        "first_response": _times(c, "fr"),
        "next_reply": _times(c, "nr"),
        "resolution": _times(c, "res"),
        "fcr_rate": _rate(c.get("fcr", 0), solved),
        "csat": {
            "responses": responses,
            "satisfied_rate": _rate(c.get("csat_sat", 0), responses),
            "scores": {str(s): c.get(f"csat_{s}", 0) for s in range(1, 6)},
        },
        "sla": {
            "attained_rate": _rate(c.get("sla_ok", 0), c.get("sla_n", 0)),
            "measured": c.get("sla_n", 0),
            "breached": c.get("sla_n", 0) - c.get("sla_ok", 0),
        },
        "merged": c.get("merged", 0),
        "reopen_rate": _rate(c.get("reopened", 0), solved),
        "replies_per_ticket": _rate(c.get("replies", 0), solved),
        "time_to_assign": _times(c, "asg"),
    }


def _period(local: datetime, interval: str) -> str:
    day = local.date()
    if interval == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if interval == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _periods(w: Window, interval: str) -> list[str]:
    labels: dict[str, None] = {}
    day = w.first
    while day <= w.last:
        labels.setdefault(_period(datetime.combine(day, datetime.min.time()), interval), None)
        day += timedelta(days=1)
    return list(labels)


def summary(
    store: AggregateStore,
    w: Window,
    *,
    group_by: str | None = None,
    only: str | None = None,
    interval: str | None = None,
) -> dict[str, Any]:
    """The summary: a row per value of ``group_by`` (none: no rows), totals, and with an
    ``interval`` a series of totals per period. ``only`` keeps one row (an agent's own numbers:
    ``group_by`` is then ``agent`` and the totals are that row)."""
    if group_by is not None and group_by not in DIMENSIONS:
        raise ValidationFailed("group_by", f"must be one of {', '.join(DIMENSIONS)}")
    dimension = group_by or TOTALS_DIMENSION
    rows: dict[str, dict[str, int]] = {}
    series: dict[str, dict[str, int]] = {}
    # A ticket counts once in each of its tags' rows: the totals and series of a multi-valued
    # dimension are read from a single-valued one (one more Query per month).
    separate = dimension in MULTI_VALUED
    for hour, value, counters in store.hours(dimension, w.start, w.end):
        if only is not None and value != only:
            continue
        _merge(rows.setdefault(value, {}), counters)
        if interval is not None and not separate:
            _merge(series.setdefault(_period(w.local(hour), interval), {}), counters)
    totals: dict[str, int] = {}
    if separate:
        for hour, _, counters in store.hours(TOTALS_DIMENSION, w.start, w.end):
            _merge(totals, counters)
            if interval is not None:
                _merge(series.setdefault(_period(w.local(hour), interval), {}), counters)
    for counters in [] if separate else rows.values():
        _merge(totals, counters)
    # A value every ticket has left (a ticket routed from no group to one, an agent's tickets all
    # reassigned) keeps its hours' items, their counters taken back to zero: a row of zeros and
    # nulls that counts nothing and would only look like a real value with no activity.
    rows = {value: counters for value, counters in rows.items() if any(counters.values())}
    answer: dict[str, Any] = {
        "from": w.first.isoformat(),
        "to": w.last.isoformat(),
        "tz": w.zone.key,
        "group_by": group_by,
        "rows": [figures(key, rows[key]) for key in sorted(rows)] if group_by else [],
        "totals": figures("total", totals),
        "error_bound": round(histogram.RELATIVE_ERROR, 4),
    }
    if interval is not None:
        answer["interval"] = interval
        answer["series"] = [
            {"period": label, **figures(label, series.get(label, {}))}
            for label in _periods(w, interval)
        ]
    return answer


COLUMNS = (
    ("created", ("created",)),
    ("solved", ("solved",)),
    ("reopened", ("reopened",)),
    ("first_response_median_s", ("first_response", "median_s")),
    ("first_response_p90_s", ("first_response", "p90_s")),
    ("first_response_business_median_s", ("first_response", "business_median_s")),
    ("first_response_business_p90_s", ("first_response", "business_p90_s")),
    ("next_reply_median_s", ("next_reply", "median_s")),
    ("next_reply_p90_s", ("next_reply", "p90_s")),
    ("next_reply_business_median_s", ("next_reply", "business_median_s")),
    ("next_reply_business_p90_s", ("next_reply", "business_p90_s")),
    ("resolution_median_s", ("resolution", "median_s")),
    ("resolution_p90_s", ("resolution", "p90_s")),
    ("resolution_business_median_s", ("resolution", "business_median_s")),
    ("resolution_business_p90_s", ("resolution", "business_p90_s")),
    ("fcr_rate", ("fcr_rate",)),
    ("csat_responses", ("csat", "responses")),
    ("csat_satisfied_rate", ("csat", "satisfied_rate")),
    ("sla_attained_rate", ("sla", "attained_rate")),
    ("sla_breached", ("sla", "breached")),
    ("reopen_rate", ("reopen_rate",)),
    ("replies_per_ticket", ("replies_per_ticket",)),
)


# What a spreadsheet reads as the start of a formula: one of these followed by anything (a lone
# "-" is the reports' "none" placeholder and no formula), or a tab or CR at all (they can hide
# one behind whitespace in some spreadsheets).
FORMULA_SIGNS = ("=", "+", "-", "@")
FORMULA_WHITESPACE = ("\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (a requester's address is
    untrusted text): such a cell gets a leading ``'``; anything else, the ``-`` placeholder
    included, is written as it is. None is empty."""
    if value is None:
        return ""
    text = str(value)
    starts_formula = (text[:1] in FORMULA_SIGNS and len(text) > 1) or (
        text[:1] in FORMULA_WHITESPACE
    )
    return "'" + text if starts_formula else text


def _line(cells: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(c) for c in cells])
    return out.getvalue()


def _cell(row: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = row
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def summary_csv(answer: Mapping[str, Any]) -> Iterator[str]:
    """The summary as CSV lines: a header, a line per row (or per period), then the totals."""
    first = "period" if "series" in answer and not answer["rows"] else "key"
    yield _line([first, *(name for name, _ in COLUMNS)])
    rows = answer["rows"] or answer.get("series", [])
    for row in [*rows, answer["totals"]]:
        yield _line([row["key"], *(_cell(row, path) for _, path in COLUMNS)])


def ticket_list_csv(
    store: AggregateStore, w: Window, *, metric: str, dimension: str | None, value: str | None
) -> Iterator[str]:
    """The tickets behind a number (created, solved or reopened in the window, optionally of one
    dimension value) as CSV lines, in hour order, every one (no cap)."""
    if metric not in LIST_METRICS:
        raise ValidationFailed("metric", f"must be one of {', '.join(LIST_METRICS)}")
    if dimension is not None and dimension not in DIMENSIONS:
        raise ValidationFailed("group_by", f"must be one of {', '.join(DIMENSIONS)}")
    if (dimension is None) != (value is None):
        raise ValidationFailed("key", "group_by and key go together")
    yield _line(["hour", "ticket_id", "number", *DIMENSIONS])
    for key, doc in store.docs(f"L|{metric}", w.start, w.end):
        if dimension is not None and value not in values_of(doc, dimension):
            continue
        _, _, hour, ticket_id = key.split("|", 3)
        yield _line([hour, ticket_id, doc.get("number"), *(doc.get(d) for d in DIMENSIONS)])


def comments(
    store: AggregateStore, w: Window, *, only: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """CSAT comments rated in the window, newest first (``only``: of one agent's tickets). Reads
    from the newest hour back and stops at ``limit``: the cost grows with the answer."""
    found: list[dict[str, Any]] = []
    for key, doc in store.docs("C", w.start, w.end, newest_first=True):
        if only is None or doc.get("agent") == only:
            found.append({"ticket_id": key.split("|", 2)[2], **doc})
            if len(found) >= limit:
                break
    found.sort(key=lambda c: str(c.get("at")), reverse=True)
    return found
