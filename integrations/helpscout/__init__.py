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

from integrations.adapter import Helpdesk
from integrations.payload import delivery_object, lenient_ident, lenient_text
from integrations.signing import body_fingerprint, header, hmac_base64, require_equal

from .parse import EVENT_HEADER, MODIFIED_KEYS, parse
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


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """Event + conversation id + modified time + a digest of the tag set.

    Help Scout's deliveries carry no id. The tag digest keeps two tag changes made within
    the same second (same modified time) apart, while a retry of either still matches.
    """
    event = (header(headers, EVENT_HEADER) or "").strip()
    convo = delivery_object(body)
    ticket_id = lenient_ident(convo.get("id"))
    modified = lenient_text(next((convo[key] for key in MODIFIED_KEYS if convo.get(key)), None))
    if not (event and ticket_id and modified):
        return body_fingerprint(body)
    tags = json.dumps(convo.get("tags"), sort_keys=True).encode()
    return f"{event}:{ticket_id}:{modified}:{hashlib.sha256(tags).hexdigest()[:16]}"


ADAPTER = Helpdesk(
    kind=KIND,
    title="Help Scout",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    event_header=EVENT_HEADER,
)
