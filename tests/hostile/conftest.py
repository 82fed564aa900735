"""Hostile-input tests run the scaled set-up: webhooks only store and signal (an rq job on
a real Redis), and each test processes the inbox when it chooses, so one batch holds
deliveries from several helpdesks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from voice_router.platform.settings import Settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings], redis_url: str) -> Settings:
    return make_settings(redis_url=redis_url)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    from tests.hostile.test_hostile_suite import OUTCOMES, pytest_terminal_summary_lines

    if OUTCOMES:
        for line in pytest_terminal_summary_lines():
            terminalreporter.write_line(line)
