"""The process's Jira client: one per Jira site, every call counted in metrics. The sync,
links, webhook events, reconcile and the reason of a won't-fix digest (closing/why.py) ask
Jira through it."""

from __future__ import annotations

from functools import lru_cache

from integrations.jira.client import JiraClient
from voice_router.platform import metrics
from voice_router.platform.settings import JiraSettings

CLIENT_TIMEOUT = 10.0  # seconds, on every call to Jira


@lru_cache(maxsize=4)
def _cached_client(url: str, email: str, api_token: str, auth: str = "basic") -> JiraClient:
    return JiraClient(
        url, email, api_token, timeout=CLIENT_TIMEOUT, observe=metrics.jira_call, auth=auth
    )


def client_for(jira: JiraSettings) -> JiraClient:
    """One client per process and Jira site (construction calls the server)."""
    return _cached_client(jira.url, jira.email, jira.api_token, jira.auth)


def forget_clients() -> None:
    """Drop the cached clients: the next call builds a new one (tests and benchmarks that
    start a Jira sandbox of their own, on a port another sandbox may have had)."""
    _cached_client.cache_clear()
