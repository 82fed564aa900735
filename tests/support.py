"""Building and posting signed deliveries the way a helpdesk would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from integrations import registry
from jira_sandbox import JiraSandbox

# One secret per registered kind; the six named ones predate the registry.
SECRETS = {
    **{kind: f"{kind}-test-secret" for kind in registry.kinds()},
    "helpscout": "hs-secret-123",
    "zendesk": "zd-secret-456",
    "intercom": "ic-secret-789",
    "freshdesk": "fd-secret-abc",
    "front": "fr-secret-def",
    "generic": "gen-secret-ghi",
}

# What the Jira sandbox fixture (conftest.py) takes.
JIRA_EMAIL, JIRA_TOKEN = "bot@example.com", "sandbox-token"


@contextmanager
def fresh_sandbox(
    email: str, api_token: str, project: str = "PROD", **options: Any
) -> Iterator[Any]:
    """A running JiraSandbox, with the process's cached Jira clients dropped before and
    after, so no test talks to another's sandbox."""
    from voice_router.platform.jira_client import forget_clients

    forget_clients()
    with JiraSandbox(email, api_token, project, **options) as running:
        yield running
    forget_clients()


def generic_delivery(
    ticket: str,
    email: str | None,
    tags: list[str] | tuple[str, ...] = (),
    removed_tags: list[str] | tuple[str, ...] = (),
    *,
    name: str | None = None,
    company: str | None = None,
    mrr: float | None = None,
    subject: str | None = "Something is broken",
    agent_email: str | None = "agent@support.example",
    occurred_at: str = "2026-11-20T10:00:00Z",
    delivery_id: str | None = None,
    customer_id: str | None = None,
) -> dict[str, Any]:
    customer: dict[str, Any] = {"email": email, "name": name}
    if company is not None:
        customer["company"] = company
    if mrr is not None:
        customer["mrr"] = mrr
    if customer_id is not None:
        customer["id"] = customer_id
    return {
        "id": delivery_id or f"dlv-{uuid.uuid4().hex}",
        "ticket": {"id": ticket, "url": f"https://desk.example/t/{ticket}", "subject": subject},
        "customer": customer,
        "agent": {"email": agent_email, "name": "Agent Smith"},
        "tags": list(tags),
        "removed_tags": list(removed_tags),
        "occurred_at": occurred_at,
    }


ZENDESK_ID, INTERCOM_ID = "8447388090494", "63a1f0c2e4b0d1a2b3c4d5e6"


def zendesk_event(ticket: str, words: str, email: str | None = None) -> dict[str, Any]:
    """A Zendesk event-subscription webhook: it names the requester by id (the address only
    when the operator's integration adds it)."""
    detail = {
        "id": ticket,
        "requester_id": ZENDESK_ID,
        "subject": words,
        "description": words,
        "tags": ["pain-export"],
        "updated_at": "2026-11-20T10:00:00Z",
        **({"requester_email": email} if email else {}),
    }
    return {
        "type": "zen:event-type:ticket.created",
        "subject": f"zen:ticket:{ticket}",
        "time": "2026-11-20T10:00:00Z",
        "detail": detail,
    }


def intercom_chat(conversation: str, words: str, email: str | None = None) -> dict[str, Any]:
    """An Intercom (API 2.x) conversation opened by a contact known by id, and by address
    when Intercom has one."""
    author = {"type": "user", "id": INTERCOM_ID, **({"email": email} if email else {})}
    item = {
        "type": "conversation",
        "id": conversation,
        "created_at": 1795000000,
        "updated_at": 1795000000,
        "source": {"type": "conversation", "body": f"<p>{words}</p>", "author": author},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": INTERCOM_ID}]},
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "name": "pain-export"}]},
    }
    return {
        "type": "notification_event",
        "topic": "conversation.user.created",
        "created_at": 1795000000,
        "data": {"type": "notification_event_data", "item": item},
    }


def receive_generic(engine: Any, settings: Any, delivery: dict[str, Any]) -> Any:
    """`delivery` stored through the intake path (`inbox.receive`), signed as the generic
    source signs it; its receipt."""
    from voice_router.intake import inbox

    body = json.dumps(delivery).encode()
    headers = registry.adapter("generic").sign(body, SECRETS["generic"])
    return inbox.receive(engine, settings, "generic", headers, body)


def zendesk_login_loop(**ticket: Any) -> dict[str, Any]:
    """A Zendesk webhook body: ticket 2002, tagged pain-sso-login, from Tom Reed of acme-corp.com;
    `ticket` adds fields (`url`, `assignee`, …)."""
    return {
        "ticket": {
            "id": "2002",
            "title": "Login loop",
            "tags": "pain-sso-login",
            "updated_at": "2026-11-20T10:00:00Z",
            "requester": {"email": "tom@acme-corp.com", "name": "Tom Reed", "id": "9"},
            **ticket,
        }
    }


# What an agent's Zendesk adds to zendesk_login_loop: the ticket's page and its assignee.
ZENDESK_ASSIGNED = {
    "url": "acme.zendesk.com/agent/tickets/2002",
    "assignee": {"email": "bob@support.example", "name": "Bob"},
}


def zendesk_writeback(api_base: str) -> dict[str, Any]:
    """`sources` for a service that writes notes back to the Zendesk at `api_base`."""
    return {"zendesk": {"writeback": True, "api_token": "zd-token", "api_base": api_base}}


def run_cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m voice_router <args>` in a child process, configured by the file `config`."""
    return subprocess.run(
        [sys.executable, "-m", "voice_router", *args],
        env={**os.environ, "VOICE_ROUTER_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def post_signed(
    client: Any,
    kind: str,
    body: Any,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    secret: str | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = {"Content-Type": "application/json", **(headers or {})}
    signed.update(registry.adapter(kind).sign(raw, secret or SECRETS[kind]))
    return client.post(f"/webhooks/{source or kind}", data=raw, headers=signed)


def config_file(tmp_path: Path, database_url: str, jira_secret: str = "") -> Path:
    """A config file with the generic source (and Jira's webhook secret, if given), as an
    operator would write it."""
    path = tmp_path / "vr.toml"
    path.write_text(
        f'database_url = "{database_url}"\n[sources.generic]\nkind = "generic"\n'
        f'secret = "{SECRETS["generic"]}"\n'
        + (f'[jira]\nwebhook_secret = "{jira_secret}"\n' if jira_secret else "")
    )
    return path


def token(runtime: Any, role: str = "agent", name: str = "Test Person") -> dict[str, str]:
    from voice_router.platform.tokens import create_token

    return {"Authorization": f"Bearer {create_token(runtime.engine, role, name)}"}


def problems(client: Any, runtime: Any, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/problems", query_string=params, headers=token(runtime))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["problems"]


def by_key(client: Any, runtime: Any) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in problems(client, runtime)}


class InlineJobs:
    """The job runner of tests without Redis: each signal runs the jobs it asks for at once,
    in the caller's thread — the job functions `voice-router serve`'s runner runs a moment
    later (workers/embedded.py; tested on its own in tests/test_serve.py). Syncs due within
    the fold delay run now rather than two seconds later."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._syncing = False

    def signal_drain(self) -> None:
        from workers import jobs

        jobs.drain_inbox(self.runtime)

    def signal_releases(self) -> None:
        from workers import jobs

        jobs.apply_releases(self.runtime)

    def signal_sync(self, problem_ids: list[int], wait: float = 0.0) -> None:
        if wait > 2 * SYNC_FOLD_SECONDS or self._syncing:  # a retry, a paced sync: not now
            return
        self._syncing = True
        try:
            self.run_due_syncs()
        finally:
            self._syncing = False

    def run_due_syncs(self) -> None:
        """Every sync due now or within the fold delay."""
        import sqlalchemy as sa

        from voice_router.models import Problem
        from voice_router.platform.clock import utcnow
        from voice_router.platform.schedule import SYNC_DELAY
        from workers import jobs

        now = utcnow()
        with self.runtime.engine.begin() as connection:
            connection.execute(
                sa.update(Problem)
                .where(Problem.jira_sync_due_at <= now + SYNC_DELAY)
                .values(jira_sync_due_at=now)
            )
        jobs.run_due_syncs(self.runtime)

    def signal_outbound(self, wait: float = 0.0) -> None:
        from workers import jobs

        if wait <= 0:
            jobs.deliver_outbound(None, self.runtime)

    def ping(self) -> bool:
        return True


SYNC_FOLD_SECONDS = 2.0


def inline_runtime(settings: Any) -> Any:
    """build_runtime, with jobs run at once (InlineJobs) when there is no Redis."""
    from workers.runtime import build_runtime

    runtime = build_runtime(settings)
    if not settings.redis_url:
        runtime.queue = InlineJobs(runtime)
    return runtime


def flushed_redis(url: str) -> Iterator[str]:
    """For a fixture: the Redis database `url`, emptied before and after the test."""
    from redis import Redis

    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()


def redis_db_url(offset: int) -> str:
    """A Redis database of this test process's own: VOICE_ROUTER_TEST_REDIS names the first
    (default db 10); each pytest-xdist worker takes the next two (one for rq and the queue,
    one for the metrics tests), so parallel workers never flush each other's jobs."""
    base = os.environ.get("VOICE_ROUTER_TEST_REDIS", "redis://127.0.0.1:6379/10")
    server, _, db = base.rpartition("/")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return f"{server}/{(int(db) + 2 * worker + offset) % 16}"


def spooled_row(delivery: dict[str, Any]) -> dict[str, Any]:
    """The row intake writes to the spool for a signed generic delivery (inbox.receive)."""
    from voice_router.intake import inbox

    body = json.dumps(delivery).encode()
    headers = registry.adapter("generic").sign(body, SECRETS["generic"])
    now = datetime.now(UTC)
    return {
        "source": "generic",
        "kind": "generic",
        "delivery_key": inbox.delivery_key(delivery["id"]),
        "headers": inbox.stored_headers(headers),
        "body": body,
        "status": "pending",
        "last_error": None,
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,
    }


def lock_waiters(connection: Any, query: str = "%") -> int:
    """PostgreSQL: how many sessions of this database wait for a lock now, running a
    statement LIKE `query`. pg_stat_activity is read once a transaction: each call clears
    the snapshot, so a loop sees sessions that began waiting since its first look."""
    connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
    return int(
        connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND query LIKE :query"
            ),
            {"query": query},
        ).scalar_one()
    )
