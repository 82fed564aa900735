"""Building and posting signed deliveries the way a helpdesk would."""

from __future__ import annotations

import json
import uuid
from typing import Any

from integrations import registry

SECRETS = {
    "helpscout": "hs-secret-123",
    "zendesk": "zd-secret-456",
    "intercom": "ic-secret-789",
    "freshdesk": "fd-secret-abc",
    "front": "fr-secret-def",
    "generic": "gen-secret-ghi",
}


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


def token(runtime: Any, role: str = "agent", name: str = "Test Person") -> dict[str, str]:
    from voice_router.tokens import create_token

    return {"Authorization": f"Bearer {create_token(runtime.engine, role, name)}"}


def problems(client: Any, runtime: Any, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/problems", query_string=params, headers=token(runtime))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["problems"]


def by_key(client: Any, runtime: Any) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in problems(client, runtime)}
