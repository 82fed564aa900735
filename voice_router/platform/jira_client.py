"""The process's Jira client: one per Jira site, every call counted in metrics. The sync,
links, webhook events, reconcile and the reason of a won't-fix digest (closing/why.py) ask
Jira through it."""

from __future__ import annotations

from functools import lru_cache

from integrations.jira.client import JiraClient
from voice_router.platform import metrics
from voice_router.platform.settings import JiraSettings


@lru_cache(maxsize=4)
def _cached_client(url: str, email: str, api_token: str, auth: str, timeout: float) -> JiraClient:
    return JiraClient(url, email, api_token, timeout=timeout, observe=metrics.jira_call, auth=auth)


def client_for(jira: JiraSettings, timeout: float) -> JiraClient:
    """One client per process, Jira site and `timeout` (`outbound_timeout_seconds`: each
    call's deadline); construction calls the server."""
    return _cached_client(jira.url, jira.email, jira.api_token, jira.auth, timeout)


def forget_clients() -> None:
    """Drop the cached clients: the next call builds a new one (tests and benchmarks that
    start a Jira sandbox of their own, on a port another sandbox may have had)."""
    _cached_client.cache_clear()
