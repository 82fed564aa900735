from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from jira import JIRA

from jira_sandbox import JiraSandbox

EMAIL = "bot@example.com"
TOKEN = "t0k"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[JiraSandbox]:
    """Options by indirect parametrisation, e.g. `{"index_lag": 5}`."""
    options = getattr(request, "param", {})
    with JiraSandbox(email=EMAIL, api_token=TOKEN, project="PROD", **options) as running:
        yield running


@pytest.fixture
def jira(sandbox: JiraSandbox) -> JIRA:
    """The real `jira` library, as the service builds it: no retries, a short timeout."""
    return JIRA(server=sandbox.url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=5)


@pytest.fixture
def auth() -> tuple[str, str]:
    """The sandbox's credentials, for raw `requests` calls."""
    return (EMAIL, TOKEN)


@pytest.fixture
def bug() -> Callable[..., dict[str, Any]]:
    """Builds the `fields` of a PROD bug; keyword arguments add or replace fields."""

    def build(summary: str = "Checkout crashes on save", **fields: Any) -> dict[str, Any]:
        return {
            "project": {"key": "PROD"},
            "issuetype": {"name": "Bug"},
            "summary": summary,
            **fields,
        }

    return build
