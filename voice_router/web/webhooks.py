"""POST /webhooks/<source>: size check, verify, store, enqueue, answer.

Webhooks are answered by plain WSGI in front of the Flask app (`create_app` wraps
`app.wsgi_app`, the way werkzeug's ProxyFix does): they are machine traffic with no cookie,
session, CSRF token, template or API token, and Flask's request context with the UI's hooks
cost more than verifying and storing a delivery does (docs/benchmarks.md). Everything else,
and any path that is not exactly `/webhooks/<name>`, goes on to Flask. The answers keep the
shapes of the rest of the service: `{"error": code, "message": text}`, `X-Request-ID`, one
`http.request` log event, and the delivery metrics.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from werkzeug.http import HTTP_STATUS_CODES

from voice_router.intake import inbox
from voice_router.platform import logs, metrics
from voice_router.platform.errors import NotFound
from voice_router.web.bodies import read_body
from voice_router.web.errors import describe, error_headers, intake_outcome

if TYPE_CHECKING:
    from voice_router.platform.runtime import Runtime

log = logging.getLogger(__name__)

PREFIX = "/webhooks/"
ENDPOINT = "webhooks.receive"  # the `endpoint` of its log events
JSON = "application/json"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_answer(status: int, document: dict[str, Any]) -> Answer:
    return Answer(status, json.dumps(document, separators=(",", ":")).encode())


def error_answer(status: int, code: str, message: str) -> Answer:
    answer = json_answer(status, {"error": code, "message": message})
    answer.headers.extend(error_headers(status))
    return answer


def _url_secret(environ: dict[str, Any]) -> str | None:
    """`?secret=` of Jira's webhook URL (never logged: log lines carry the path only)."""
    values = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get("secret")
    return values[-1] if values else None


class RequestHeaders(Mapping[str, str]):
    """A request's headers, read out of its WSGI environ once: looked up regardless of case
    (as every adapter does, through integrations.signing.header) and listed under the names
    werkzeug's EnvironHeaders gives them, which walked the environ again for every look-up."""

    __slots__ = ("_by_lower", "_by_name")

    def __init__(self, environ: Mapping[str, Any]) -> None:
        by_name: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    continue  # werkzeug's rule: the CGI variables win
            elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH") or not value:
                continue
            by_name[_header_name(key)] = value
        self._by_name = by_name
        self._by_lower = {name.lower(): value for name, value in by_name.items()}

    def __getitem__(self, name: str) -> str:
        return self._by_lower[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        return self._by_lower.get(name.lower(), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def items(self) -> Any:
        return self._by_name.items()


@lru_cache(maxsize=512)
def _header_name(environ_key: str) -> str:
    """`HTTP_X_HUB_SIGNATURE` -> `X-Hub-Signature`, `CONTENT_TYPE` -> `Content-Type`."""
    return environ_key.removeprefix("HTTP_").replace("_", "-").title()


class Webhooks:
    """The WSGI middleware: `/webhooks/<name>` here, the rest to `app`."""

    def __init__(self, app: WSGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        # WSGI hands the path over as latin-1; URLs are UTF-8 (what werkzeug does too).
        source = path[len(PREFIX) :].encode("latin-1").decode("utf-8", "replace")
        if not source or "/" in source:
            return self.app(environ, start_response)
        started = time.perf_counter()
        request_id = logs.request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        token = logs.request_id_var.set(request_id)
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method != "POST":
                answer = error_answer(405, "method_not_allowed", "webhooks are POSTed")
                answer.headers.append(("Allow", "POST"))
            else:
                answer = self.receive(environ, source)
            logs.request_finished(method, PREFIX + source, ENDPOINT, answer.status, started)
        finally:
            logs.request_id_var.reset(token)
        headers = [
            ("Content-Type", answer.content_type),
            ("Content-Length", str(len(answer.body))),
            (logs.REQUEST_ID_HEADER, request_id),
            *answer.headers,
        ]
        start_response(f"{answer.status} {HTTP_STATUS_CODES.get(answer.status, '')}", headers)
        return [answer.body]

    def receive(self, environ: dict[str, Any], source: str) -> Answer:
        settings = self.runtime.settings
        try:
            inbox.source_kind_and_secret(settings, source)
        except NotFound as exc:
            metrics.delivery(source, "unknown_source")
            return error_answer(404, "not_found", exc.message)
        try:
            body = read_body(environ, settings.max_body_bytes)  # 413 past the limit
            receipt = inbox.receive(
                self.runtime.engine,
                settings,
                source,
                RequestHeaders(environ),
                body,
                url_secret=_url_secret(environ) if source == "jira" else None,
            )
        except Exception as exc:
            metrics.delivery(source, intake_outcome(exc))
            return error_answer(*describe(exc, settings.max_body_bytes))
        if receipt.handshake is not None:
            hs = receipt.handshake
            metrics.delivery(source, "handshake")
            return Answer(hs.status, hs.body.encode(), hs.content_type, list(hs.headers.items()))
        if receipt.status == "invalid":
            metrics.delivery(source, "bad_payload")
            answer = json_answer(
                400,
                {
                    "error": "bad_payload",
                    "message": receipt.error or "not this provider's payload",
                    "delivery_id": receipt.delivery_id,  # kept for inspection
                },
            )
            return answer
        outcome = "duplicate" if receipt.duplicate else "accepted"
        metrics.delivery(source, "spooled" if receipt.spooled else outcome)
        if not receipt.duplicate:
            try:
                self.runtime.queue.signal_drain()  # never waits on Redis (workers/queue.py)
            except Exception:  # stored already: the worker's sweep will process it
                log.warning("webhook.enqueue_failed", extra={"delivery_id": receipt.delivery_id})
        if receipt.delivery_id is None:  # spooled: its id comes when it is taken in
            return json_answer(202, {"delivery_id": None, "duplicate": False, "spooled": True})
        # json.dumps of {"delivery_id": …, "duplicate": …}, written out: every 202 pays it
        duplicate = b"true" if receipt.duplicate else b"false"
        return Answer(202, b'{"delivery_id":%d,"duplicate":%s}' % (receipt.delivery_id, duplicate))
