"""The 30-day sparkline: new tickets per day, drawn as inline SVG coordinates.

A ticket counts once per merge group, on the day of its first report there (the rule of
`impact.trends` and of `tickets`): both read the problem row's copy of `impactday`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from voice_router.platform.clock import to_utc, utcnow
from voice_router.problems import trend_days
from voice_router.problems.impact import recent_days, trend_rows
from voice_router.web.ui.wording import plural

DAYS = 30
WIDTH = 120
HEIGHT = 28
PAD = 2


def daily_new_tickets(
    session: Session, problem_ids: Sequence[int], now: datetime | None = None
) -> dict[int, list[int]]:
    """problem id -> counts of tickets first reported on each of the last 30 UTC days,
    oldest first (the last entry is today), from the problem rows' copy of `impactday`."""
    if not problem_ids:
        return {}
    today = to_utc(now or utcnow()).date()
    rows = trend_rows(session, problem_ids)
    days = {row.id: trend_days.parse(row.recent) for row in rows if trend_days.usable(row, today)}
    days.update(recent_days(session, [pid for pid in problem_ids if pid not in days], today))
    return {pid: trend_days.daily(days.get(pid, {}), today, DAYS) for pid in problem_ids}


@dataclass(frozen=True)
class Sparkline:
    counts: tuple[int, ...]
    points: str  # "x,y x,y ..." for an SVG polyline
    last_x: float
    last_y: float
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def peak(self) -> int:
        return max(self.counts, default=0)

    @property
    def label(self) -> str:
        return (
            f"{plural(self.total, 'new ticket')} in the last {len(self.counts)} days, "
            f"at most {self.peak} a day, {self.counts[-1] if self.counts else 0} today"
        )


def sparkline(counts: Sequence[int]) -> Sparkline:
    values = list(counts) or [0]
    top = max(values) or 1
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    coords = [
        (round(PAD + i * step, 1), round(HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD), 1))
        for i, v in enumerate(values)
    ]
    points = " ".join(f"{x:g},{y:g}" for x, y in coords)
    return Sparkline(tuple(values), points, coords[-1][0], coords[-1][1])
