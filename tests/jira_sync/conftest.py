"""A Jira sandbox per test, and settings pointing voice-router at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import inline_runtime
from voice_router import jira_sync
from voice_router.jira_sandbox import JiraSandbox

EMAIL, TOKEN = "bot@example.com", "sandbox-token"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[JiraSandbox]:
    """A sandbox per test; options by indirect parametrisation, e.g. a lagging search index:
    `@pytest.mark.parametrize("sandbox", [{"index_lag": 5}], indirect=True)` (also
    `deployment="datacenter"`, `clock=...`)."""
    jira_sync._cached_client.cache_clear()
    options = getattr(request, "param", {})
    with JiraSandbox(email=EMAIL, api_token=TOKEN, project="PROD", **options) as running:
        yield running
    jira_sync._cached_client.cache_clear()


def jira_table(sandbox: JiraSandbox, **overrides: object) -> dict[str, object]:
    return {
        "url": sandbox.url,
        "email": EMAIL,
        "api_token": TOKEN,
        "project": "PROD",
        "labels": ["voice-router"],
        "update_interval_seconds": 0,  # tests look at each change; pacing has its own tests
        **overrides,
    }


@pytest.fixture
def settings(make_settings, sandbox):
    return make_settings(jira=jira_table(sandbox), base_url="https://vr.example")


@pytest.fixture
def runtime(settings):
    rt = inline_runtime(settings)
    yield rt
    rt.engine.dispose()
