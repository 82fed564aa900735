"""Outgoing webhook deliveries, as Jira's admin webhooks send them.

With a secret, a delivery carries `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`
(Jira Cloud, and Data Center 10 when a secret is set); without one it is unsigned, as from
older Data Center releases (which authenticate by a secret token in the URL, if at all).
A JQL filter limits issue and comment events to issues it matches; version events ignore it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "jira:version_released",
    "jira:version_updated",
    "jira:version_unreleased",
)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_identifier() -> str:
    return str(uuid.uuid4())


@dataclass
class WebhookTarget:
    url: str
    secret: str | None  # None: deliveries are not signed
    events: tuple[str, ...] = DEFAULT_EVENTS
    api_changes: bool = False  # also deliver changes made through the REST API
    timeout: float = 5.0
    jql: str | None = None  # only issues matching it (issue and comment events)

    def wants(self, event: str) -> bool:
        return "*" in self.events or event in self.events


@dataclass
class Delivery:
    identifier: str
    event: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None  # None: no HTTP answer (see `error`)
    error: str | None = None
    response_body: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def event_name(body: bytes) -> str:
    try:
        return str(json.loads(body).get("webhookEvent", ""))
    except (ValueError, AttributeError):
        return ""


def post(
    target: WebhookTarget,
    body: bytes,
    *,
    identifier: str | None = None,
    retry: int = 0,
    secret: str | None = None,
) -> Delivery:
    """POST one delivery; never raises for HTTP or network failures (they are recorded)."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Atlassian Webhook HTTP Client",
        "X-Atlassian-Webhook-Identifier": identifier or new_identifier(),
        "X-Atlassian-Webhook-Retry": str(retry),
        "X-Atlassian-Webhook-Flow": "Primary" if retry == 0 else "Secondary",
    }
    key = target.secret if secret is None else secret
    if key is not None:
        headers["X-Hub-Signature"] = sign(body, key)
    delivery = Delivery(headers["X-Atlassian-Webhook-Identifier"], event_name(body), body, headers)
    request = urllib.request.Request(target.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:
            delivery.status = response.status
            delivery.response_body = response.read()
    except urllib.error.HTTPError as exc:
        delivery.status = exc.code
        delivery.response_body = exc.read()
    except (OSError, ValueError) as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"
    return delivery


class Dispatcher:
    """Delivers API-caused events in order on one background thread, as Jira does later."""

    def __init__(self, record: list[Delivery]) -> None:
        self._queue: queue.Queue[tuple[WebhookTarget, bytes] | None] = queue.Queue()
        self._record = record
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, target: WebhookTarget, body: bytes) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jira-sandbox-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put((target, body))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._record.append(post(*item))
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted delivery was attempted; False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)


def subscribed(target: WebhookTarget | None, events: Iterable[str]) -> bool:
    return target is not None and any(target.wants(e) for e in events)
