"""New tickets per day kept on the problem row, so the list reads trends with no extra query.

`impactday` holds every day; the problem row holds a copy of the days the trend windows can
still reach (`recent`: "ordinal:count" pairs, days newer than 60 days before `trend_day`,
later days included) with `trend_7d` / `trend_30d` as they stood on `trend_day`. The same
code that moves `impactday` moves these (`impact_delta`, `impact_recount`).

Windows are whole UTC days, so stored trends go stale at midnight: a reader whose day is
later than `trend_day` works the trends out again from `recent` (still complete: a later
day's windows reach only days that `recent` holds). A reader whose day is earlier (a clock
set back), or a row never filled, reads `impactday` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Protocol

SPAN = 60  # days the two 30-day windows reach back, today included


class HasTrend(Protocol):
    trend_day: date | None
    trend_7d: int
    trend_30d: int
    recent: str


def parse(text: str) -> dict[int, int]:
    """`recent` as day ordinal -> new tickets. Read in C (`int` over the numbers, in pairs):
    a batch reads and writes the copy of every problem it touched."""
    numbers = map(int, text.replace(":", " ").split())
    return dict(zip(numbers, numbers, strict=False))  # the one iterator, read two at a time


def dump(days: Mapping[int, int]) -> str:
    return " ".join([f"{day}:{n}" for day, n in sorted(days.items()) if n])


def windowed(days: Mapping[int, int], today: date) -> dict[int, int]:
    """The days a window read on `today` or later can reach, with any count."""
    oldest = today.toordinal() - SPAN + 1
    return {day: n for day, n in days.items() if day >= oldest and n}


def trends_on(days: Mapping[int, int], today: date) -> tuple[int, int]:
    """(trend_7d, trend_30d): tickets first reported in the last 7 (30) UTC days, today
    included (later days too), minus those of the 7 (30) days before."""
    week = month = 0
    now = today.toordinal()
    for day, tickets in days.items():
        age = now - day
        if age < 7:
            week += tickets
        elif age < 14:
            week -= tickets
        if age < 30:
            month += tickets
        elif age < SPAN:
            month -= tickets
    return week, month


def daily(days: Mapping[int, int], today: date, count: int) -> list[int]:
    """New tickets on each of the last `count` days, oldest first (the last is today)."""
    start = today.toordinal() - count + 1
    counts = [0] * count
    for day, tickets in days.items():
        if start <= day <= start + count - 1:
            counts[day - start] += tickets
    return counts


def usable(row: HasTrend, today: date) -> bool:
    """The row's `recent` answers for `today` (filled, and not from a later day)."""
    return row.trend_day is not None and row.trend_day <= today


def trends_of(row: HasTrend, today: date) -> tuple[int, int]:
    """The row's trends on `today`; the caller checked `usable`."""
    if row.trend_day == today:
        return row.trend_7d, row.trend_30d
    return trends_on(parse(row.recent), today)


def store(row: HasTrend, days: Mapping[int, int], today: date) -> None:
    kept = windowed(days, today)
    row.recent = dump(kept)
    row.trend_day = today
    row.trend_7d, row.trend_30d = trends_on(kept, today)


def moved(row: HasTrend, steps: Iterable[tuple[date, int]], today: date) -> bool:
    """Move the row's copy by what a batch did to `impactday`; False, and nothing done, for
    a row it cannot answer for (never filled, or filled on a later day)."""
    if not usable(row, today):
        return False
    days = parse(row.recent)
    for day, step in steps:
        key = day.toordinal()
        days[key] = days.get(key, 0) + step
    store(row, days, today)
    return True


def drift(row: HasTrend, days: Mapping[date, int], today: date) -> str | None:
    """What is wrong with the row's copy against the recounted days, or None."""
    if not usable(row, today):
        return "trend copy not filled"
    recounted = windowed({day.toordinal(): n for day, n in days.items()}, today)
    if windowed(parse(row.recent), today) != recounted:
        return "new tickets per day on the problem (trends)"
    assert row.trend_day is not None
    if (row.trend_7d, row.trend_30d) != trends_on(parse(row.recent), row.trend_day):
        return f"trends {row.trend_7d}/{row.trend_30d} on {row.trend_day}"
    return None
