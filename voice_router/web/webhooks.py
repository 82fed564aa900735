"""POST /webhooks/<source>: size check, verify, store, enqueue, answer."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from voice_router import inbox, metrics
from voice_router.errors import NotFound
from voice_router.web.context import runtime
from voice_router.web.errors import error_response

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


@bp.post("/webhooks/<source>")
def receive(source: str):  # type: ignore[no-untyped-def]
    rt = runtime()
    try:
        inbox.source_kind_and_secret(rt.settings, source)
    except NotFound as exc:
        metrics.delivery(source, "unknown_source")
        return error_response(404, "not_found", exc.message)
    try:
        body = request.get_data(cache=False)
        receipt = inbox.receive(rt.engine, rt.settings, source, request.headers, body)
    except Exception as exc:  # counted (too_large, bad_signature, error), then answered as before
        metrics.delivery(source, metrics.intake_outcome(exc))
        raise
    if receipt.handshake is not None:
        hs = receipt.handshake
        metrics.delivery(source, "handshake")
        return Response(hs.body, status=hs.status, content_type=hs.content_type, headers=hs.headers)
    if receipt.status == "invalid":
        metrics.delivery(source, "bad_payload")
        return error_response(400, "bad_payload", receipt.error or "not this provider's payload")
    metrics.delivery(source, "duplicate" if receipt.duplicate else "accepted")
    if not receipt.duplicate:
        try:
            rt.queue.enqueue_drain()
        except Exception:  # stored already: the worker's sweep will process it
            log.warning("webhook.enqueue_failed", extra={"delivery_id": receipt.delivery_id})
    return jsonify({"delivery_id": receipt.delivery_id, "duplicate": receipt.duplicate}), 202
