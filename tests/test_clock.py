"""Times in JSON, CSV and pages: UTC to the second, with a Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice_router.platform.clock import iso


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 6, 4, 45, 12, 999_999, tzinfo=UTC),  # what both databases hand back
        datetime(2026, 12, 6, 4, 45, 12),  # naive: taken as UTC
        datetime(2026, 12, 6, 6, 45, 12, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 12, 5, 23, 45, 12, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_moment_is_written_in_utc_to_the_second(moment):
    assert iso(moment) == "2026-12-06T04:45:12Z"


def test_no_moment_is_none():
    assert iso(None) is None
