"""PostgreSQL restarted (or an idle connection cut) while the service sat idle: the next
API request is answered from a fresh connection, not with a 500."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import generic_delivery, post_signed, problems
from voice_router.platform import db


def cut_every_connection(runtime) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (runtime.engine.url.database,),
        )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_first_api_request_after_a_restart_is_answered(client, runtime, monkeypatch):
    body = generic_delivery("T1", "a@acme.com", ["pain-sso-login"], company="Acme")
    assert post_signed(client, "generic", body).status_code == 202
    assert [p["key"] for p in problems(client, runtime)] == ["sso-login"]
    cut_every_connection(runtime)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # instead of waiting out a lull
    assert [p["key"] for p in problems(client, runtime)] == ["sso-login"]
