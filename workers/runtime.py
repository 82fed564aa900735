"""Building a process's runtime: the settings, one engine, and the job queue the settings
ask for (rq on Redis with `redis_url`, else the embedded runner's). The entry points call
`build_runtime`; the core only receives the result (voice_router/platform/runtime.py)."""

from __future__ import annotations

from voice_router.platform.db import make_engine
from voice_router.platform.runtime import Runtime
from voice_router.platform.settings import Settings, load_settings
from workers.queue import make_queue

# Set for the web processes by gunicorn's master (gunicorn_config.on_starting) and by
# `voice-router serve` (voice_router/server.py): the runner runs in a process of its own
# (workers/runner_process.py, workers/serve_runner.py), so `create_app` starts none. Here,
# not there: a web process reads it without loading the runner and gunicorn's dirty app.
RUNNER_PROCESS_FLAG = "VOICE_ROUTER_RUNNER_PROCESS"


def build_runtime(settings: Settings) -> Runtime:
    return Runtime(
        settings=settings, engine=make_engine(settings.database_url), queue=make_queue(settings)
    )


_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The runtime of a worker process, built from the environment on first use."""
    global _process_runtime
    if _process_runtime is None:
        _process_runtime = build_runtime(load_settings())
    return _process_runtime


def set_process_runtime(runtime: Runtime) -> None:
    global _process_runtime
    _process_runtime = runtime
