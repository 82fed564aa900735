"""Time is always timezone-aware UTC (SQLModel refuses naive datetimes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # senders' clocks run ahead a little


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """`2026-12-06T04:45:12Z`. A list of 100 problems shows 200 of them: a moment already in
    UTC (what the databases hand back) skips `astimezone` and `replace`, a third of the cost."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = to_utc(moment)
    return moment.isoformat(timespec="seconds")[:-6] + "Z"  # without "+00:00"


def plausible(moment: datetime, now: datetime) -> datetime:
    """`moment`, or `now` when no sender could mean it (before 2000, or more than a day
    ahead): a helpdesk's or a Jira node's clock or template gone wrong. Only a signed sender
    can send one, so it is not refused; kept as it is, it would outrank every later event
    (a problem's first or last seen and trends; a Jira status) for good."""
    if EARLIEST <= to_utc(moment) <= now + FUTURE_SLACK:
        return moment
    return now
