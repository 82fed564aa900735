"""The Flask side of logging: each request gets an id (the caller's `X-Request-ID` when it
is sane, else a new one) that is on every line logged while it runs and goes back in the
`X-Request-ID` header, and each answered request is one `http.request` event. The formats,
the scrubbing and the event itself are voice_router/platform/logs.py's."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from voice_router.platform import logs


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = logs.request_id_for(request.headers.get(logs.REQUEST_ID_HEADER))
        g.request_id_token = logs.request_id_var.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[logs.REQUEST_ID_HEADER] = request_id
            started = g.get("request_started", time.perf_counter())
            logs.request_finished(
                request.method, request.path, request.endpoint, response.status_code, started
            )
        return response

    @app.teardown_request
    def _clear(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                logs.request_id_var.reset(token)
            except ValueError:  # set in another context (a copied one): just clear it
                logs.request_id_var.set(None)
