"""One delivery, in each helpdesk's real shape (as in tests/fixtures and the demo samples),
built from the values a test wants to send — ordinary or hostile. `Report` values are put
where each helpdesk carries them; a value of the wrong type goes there as it is."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from integrations import registry

KINDS = ("helpscout", "zendesk", "intercom", "freshdesk", "front", "generic")
WHEN_ISO = "2026-11-20T10:00:00Z"
WHEN_EPOCH = 1763632800
_MICROSECONDS = itertools.count(1)


@dataclass
class Report:
    """What a delivery says: one ticket, its customer, its tags."""

    ticket: Any
    email: Any
    tags: Any = ("pain-ordinary",)
    name: Any = "Ada Lovelace"
    subject: Any = "Login loops after SSO"
    company: Any = None
    mrr: Any = None
    delivery_id: Any = field(default_factory=lambda: f"dlv-{uuid.uuid4().hex}")
    customer_id: Any = None


def body_and_headers(kind: str, report: Report) -> tuple[bytes, dict[str, str]]:
    document, headers = _BUILDERS[kind](report)
    return _dumps(document).encode(), headers


def _dumps(document: Any) -> str:
    """JSON text; a value with a `depth` becomes lists nested that deep (deeper than
    json.dumps itself could write)."""
    deep: dict[str, int] = {}

    def placeholder(value: Any) -> str:
        marker = f"__deep_{len(deep)}__"
        deep[marker] = value.depth
        return marker

    text = json.dumps(document, default=placeholder)
    for marker, depth in deep.items():
        text = text.replace(f'"{marker}"', "[" * depth + "]" * depth)
    return text


def post(client: Any, kind: str, report: Report, secret: str) -> Any:
    raw, headers = body_and_headers(kind, report)
    signed = {"Content-Type": "application/json", **headers}
    signed.update(registry.adapter(kind).sign(raw, secret))
    return client.post(f"/webhooks/{kind}", data=raw, headers=signed)


def _tag_list(tags: Any) -> Any:
    return list(tags) if isinstance(tags, tuple | list) else tags


def _helpscout(r: Report) -> tuple[Any, dict[str, str]]:
    tags = _tag_list(r.tags)
    if isinstance(tags, list):
        tags = [{"id": i, "tag": t} for i, t in enumerate(tags)]
    # Help Scout names no delivery: the id is event + conversation + modified time + tags.
    return {
        "id": r.ticket,
        "number": 7,
        "subject": r.subject,
        "userUpdatedAt": f"2026-11-20T10:00:00.{next(_MICROSECONDS) % 1_000_000:06d}Z",
        "primaryCustomer": {"id": r.customer_id, "email": r.email, "first": r.name},
        "tags": tags,
        "assignee": {"id": 9, "email": "alice@support.example", "first": "Alice"},
    }, {"X-HelpScout-Event": "convo.tags"}


def _zendesk(r: Report) -> tuple[Any, dict[str, str]]:
    tags = _tag_list(r.tags)
    return {
        "ticket": {
            "id": r.ticket,
            "url": "acme.zendesk.com/agent/tickets/1",
            "title": r.subject,
            "tags": " ".join(tags) if isinstance(tags, list) and _all_str(tags) else tags,
            "updated_at": WHEN_ISO,
            "requester": {"email": r.email, "name": r.name, "id": r.customer_id},
            "organization": {"name": r.company},
            "assignee": {"email": "bob@support.example", "name": "Bob"},
        }
    }, {"X-Zendesk-Webhook-Invocation-Id": _header_id(r.delivery_id)}


def _intercom(r: Report) -> tuple[Any, dict[str, str]]:
    tags = _tag_list(r.tags)
    user: dict[str, Any] = {"type": "user", "id": r.customer_id, "email": r.email, "name": r.name}
    if r.company is not None or r.mrr is not None:
        company = {"id": "cmp-1", "name": r.company, "monthly_spend": r.mrr}
        user["companies"] = {"type": "company.list", "companies": [company]}
    return {
        "type": "notification_event",
        "id": r.delivery_id,
        "topic": "conversation.user.created",
        "app_id": "app1",
        "created_at": WHEN_EPOCH,
        "data": {
            "item": {
                "type": "conversation",
                "id": r.ticket,
                "title": r.subject,
                "user": user,
                "tags": {
                    "type": "tag.list",
                    "tags": [{"type": "tag", "name": t} for t in tags]
                    if isinstance(tags, list)
                    else tags,
                },
            }
        },
    }, {}


def _freshdesk(r: Report) -> tuple[Any, dict[str, str]]:
    tags = _tag_list(r.tags)
    return {
        "freshdesk_webhook": {
            "triggered_event": "{ticket_action:updated}",
            "ticket_id": r.ticket,
            "ticket_url": "https://acme.freshdesk.com/helpdesk/tickets/1",
            "ticket_subject": r.subject,
            "ticket_tags": ",".join(tags) if isinstance(tags, list) and _all_str(tags) else tags,
            "ticket_updated_at": WHEN_ISO,
            "requester_email": r.email,
            "requester_name": r.name,
            "company_name": r.company,
            "agent_email": "carol@support.example",
            "agent_name": "Carol",
            "delivery": r.delivery_id,  # Freshdesk names no delivery: the bytes do
        }
    }, {}


def _front(r: Report) -> tuple[Any, dict[str, str]]:
    tags = _tag_list(r.tags)
    contact = f"https://api2.frontapp.com/contacts/{r.customer_id}" if r.customer_id else None
    return {
        "id": r.delivery_id,
        "type": "assign",
        "emitted_at": WHEN_EPOCH,
        "conversation": {
            "id": r.ticket,
            "subject": r.subject,
            "recipient": {
                "_links": {"related": {"contact": contact}},
                "name": r.name,
                "handle": r.email,
                "role": "from",
            },
            "tags": [{"id": f"tag_{i}", "name": t} for i, t in enumerate(tags)]
            if isinstance(tags, list)
            else tags,
        },
    }, {}


def _generic(r: Report) -> tuple[Any, dict[str, str]]:
    customer: dict[str, Any] = {"email": r.email, "name": r.name}
    if r.company is not None:
        customer["company"] = r.company
    if r.mrr is not None:
        customer["mrr"] = r.mrr
    if r.customer_id is not None:
        customer["id"] = r.customer_id
    return {
        "id": r.delivery_id,
        "ticket": {"id": r.ticket, "url": "https://desk.example/t/1", "subject": r.subject},
        "customer": customer,
        "agent": {"email": "dave@support.example", "name": "Dave"},
        "tags": _tag_list(r.tags),
        "occurred_at": WHEN_ISO,
    }, {}


def _all_str(values: list[Any]) -> bool:
    return all(isinstance(v, str) for v in values)


def _header_id(value: Any) -> str:
    """A header carries text only, and no line breaks."""
    text = str(value)
    return "".join(ch for ch in text if 32 <= ord(ch) < 127) or "x"


_BUILDERS = {
    "helpscout": _helpscout,
    "zendesk": _zendesk,
    "intercom": _intercom,
    "freshdesk": _freshdesk,
    "front": _front,
    "generic": _generic,
}
assert set(_BUILDERS) == set(KINDS) == set(registry.kinds())
