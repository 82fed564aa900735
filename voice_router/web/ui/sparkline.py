"""The 30-day sparkline: new tickets per day, drawn as inline SVG coordinates.

A ticket counts once per merge group, on the day of its first report there (the rule of
`impact.trends` and of `tickets`): both read the new tickets per day kept in `impactday`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from voice_router.clock import to_utc, utcnow
from voice_router.models import ImpactDay
from voice_router.web.ui.wording import plural

DAYS = 30
WIDTH = 120
HEIGHT = 28
PAD = 2


def daily_new_tickets(
    session: Session, problem_ids: Sequence[int], days: int = DAYS, now: datetime | None = None
) -> dict[int, list[int]]:
    """problem id -> counts of tickets first reported on each of the last `days` UTC days,
    oldest first (the last entry is today), from `impactday`."""
    counts = {pid: [0] * days for pid in problem_ids}
    if not problem_ids:
        return counts
    today = to_utc(now or utcnow()).date()
    start = today - timedelta(days=days - 1)
    rows = session.exec(
        select(ImpactDay.owner_id, col(ImpactDay.day), ImpactDay.tickets).where(
            col(ImpactDay.owner_id).in_(list(problem_ids)), col(ImpactDay.day) >= start
        )
    ).all()
    for owner, day, tickets in rows:
        index = (day - start).days
        if 0 <= index < days:
            counts[owner][index] += tickets
    return counts


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
