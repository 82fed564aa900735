"""Help Scout: Mailbox webhooks, legacy and Mailbox API 2.0 ("V2") payloads.

The event name travels only in `X-HelpScout-Event`; the body is the conversation itself
(or `{"id"}` for deletions). A conversation body always holds the conversation's whole
current tag set, so events carry `tags_complete=True`. Set-up: docs/helpdesks/helpscout.md.

Legacy bodies name the requester `customer` and the assignee `owner` (`firstName`,
`lastName`) and list tags as strings; V2 bodies use `primaryCustomer` and `assignee`
(`first`, `last`) and tag objects `{"id", "tag"}`. Both are read the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from integrations.adapter import Helpdesk
from integrations.payload import delivery_object, lenient_ident, lenient_text
from integrations.signing import body_fingerprint, header, hmac_base64, require_equal

from .parse import EVENT_HEADER, MODIFIED_KEYS, parse, people
from .writeback import Client

KIND = "helpscout"
SIGNATURE_HEADER = "X-HelpScout-Signature"


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    """Help Scout signs the raw body alone; there is no timestamp, so `now` is unused."""
    require_equal(hmac_base64("sha1", secret, body), header(headers, SIGNATURE_HEADER))


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: hmac_base64("sha1", secret, body)}


# What each kind of change changes in a conversation's body. Help Scout's deliveries carry
# no id and its modified times are whole seconds, so two changes of one conversation in the
# same second differ only here: a reply or a note is a new thread with its own id (and one
# more in `threadCount`); an assignment, a status, a move, a new customer, custom fields and
# tags change their own fields. Previews and "waiting since" texts stay out: a retry that
# renders the conversation again still matches.
CHANGES = (
    "threadCount",
    "status",
    "state",
    "folderId",
    "mailboxId",
    "mailbox",
    "tags",
    "customFields",
    "customer",
    "primaryCustomer",
    "owner",
    "assignee",
)


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """Event + conversation id + modified time + a digest of what changes tell apart.

    A retry of a delivery sends the same conversation, so it matches; two changes made
    within the same second (the same modified time) differ in `_changed`.
    """
    event = (header(headers, EVENT_HEADER) or "").strip()
    convo = delivery_object(body)
    ticket_id = lenient_ident(convo.get("id"))
    modified = lenient_text(next((convo[key] for key in MODIFIED_KEYS if convo.get(key)), None))
    if not (event and ticket_id and modified):
        return body_fingerprint(body)
    return f"{event}:{ticket_id}:{modified}:{hashlib.sha256(_changed(convo)).hexdigest()[:16]}"


def _changed(convo: dict[str, Any]) -> bytes:
    """The parts of the conversation that changes change (`CHANGES`), and its threads' ids:
    legacy bodies list the threads in `threads`, V2 ones in `_embedded.threads` (their
    `threads` is a count)."""
    parts = {key: convo.get(key) for key in CHANGES}
    embedded = convo.get("_embedded")
    listed = convo.get("threads")
    if not isinstance(listed, list) and isinstance(embedded, dict):
        parts["thread_count"], listed = listed, embedded.get("threads")
    if isinstance(listed, list):
        parts["thread_ids"] = [t.get("id") if isinstance(t, dict) else t for t in listed]
    return json.dumps(parts, sort_keys=True, default=str).encode()


ADAPTER = Helpdesk(
    kind=KIND,
    title="Help Scout",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    event_header=EVENT_HEADER,
    people=people,
)
