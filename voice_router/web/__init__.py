"""The Flask application factory: `voice_router.web:create_app()` for gunicorn."""

from __future__ import annotations

import os
from contextlib import nullcontext

from flask import Flask

from voice_router.platform import logs, metrics
from voice_router.platform.runtime import Runtime
from voice_router.platform.schema import keep_current, require_current
from voice_router.platform.settings import Settings, load_settings
from voice_router.platform.startup import stops_with_one_line
from voice_router.web import bodies, request_ids
from workers.runtime import RUNNER_PROCESS_FLAG as RUNNER_PROCESS
from workers.runtime import build_runtime

# gunicorn's exit status for a worker that failed to boot: its master then stops, where any
# other status had it start the worker again, and print the same line, for ever.
WORKER_BOOT_ERROR = 3


def load_modules() -> None:
    """Import the modules an app is made of, making nothing. A server that forks its web
    processes calls this first: each then starts with them loaded (shared, copy-on-write)
    instead of importing them again, at every start and every respawn."""
    from voice_router.web import api, errors, health, openapi, params, stalled, ui, webhooks

    del api, errors, health, openapi, params, stalled, ui, webhooks


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """The app. Built from settings with no `redis_url`, it also starts this process's job
    runner — unless the server runs one in a process of its own (deploy/gunicorn.conf.py:
    workers/runner_process.py; `voice-router serve`: workers/serve_runner.py); given a
    runtime, it leaves running jobs to the caller."""
    runner_wanted = runtime is None
    if runtime is None:
        # Built by a server from the environment (gunicorn's `create_app()`, also without
        # deploy/gunicorn.conf.py): a bad setting or database is one line, not a traceback.
        with stops_with_one_line(WORKER_BOOT_ERROR) if settings is None else nullcontext():
            runtime = build_runtime(settings or load_settings())
            logs.configure(runtime.settings)  # JSON lines, secrets masked; once per process
            require_current(runtime.engine)  # refuse a schema behind this release
    else:
        logs.configure(runtime.settings)
        if runtime.engine.dialect.name == "sqlite":
            keep_current(runtime.engine)  # the embedded database keeps itself current
    app = Flask(__name__)
    app.request_class = bodies.Request  # 413 for any body over the limit, chunked or not
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.extensions["voice_router"] = runtime
    request_ids.init_app(app)  # X-Request-ID in and out, one http.request event per request
    metrics.init_sources(runtime.settings)

    from voice_router.web import api, errors, health, openapi, params, ui, webhooks

    # Before any route is added: ids in paths are 32-bit, a larger one is not found (404).
    app.url_map.converters["int"] = params.IdConverter
    errors.register(app, page=ui.page_for_error)  # JSON on the API, HTML pages on the UI
    app.secret_key = ui.secret_key(runtime.settings.secret_key)  # else random per process
    ui.csrf.init_app(app)  # CSRF on every form post, except:
    ui.csrf.exempt(api.bp)  # the bearer-token API (no cookies)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(ui.bp)  # the UI at /, session cookie flags
    openapi.register(app)
    # Signed webhooks are answered in front of Flask: no session, CSRF or UI hooks.
    app.wsgi_app = webhooks.Webhooks(app.wsgi_app, runtime)  # type: ignore[method-assign]  # Flask's way
    if runner_wanted and not runtime.settings.redis_url and not os.environ.get(RUNNER_PROCESS):
        from workers.embedded import start_runner

        app.extensions["voice_router_runner"] = start_runner(runtime)
    return app
