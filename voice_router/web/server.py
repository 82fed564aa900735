"""`voice-router serve`: gunicorn, in this process, with the settings of
voice_router/gunicorn_config.py (those of deploy/gunicorn.conf.py), serving
`create_app()`. Without `redis_url` each web process also runs the job runner, and a lease
in the database lets one of them work at a time (workers/embedded.py)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class Server(BaseApplication):
    def __init__(self, bind: str, workers: int | None = None) -> None:
        self.bind = bind
        self.workers = workers
        super().__init__()

    def load_config(self) -> None:
        from voice_router import gunicorn_config

        for name, value in vars(gunicorn_config).items():
            if name in self.cfg.settings and not name.startswith("_"):
                self.cfg.set(name, value)
        self.cfg.set("bind", [self.bind])
        if self.workers:
            self.cfg.set("workers", self.workers)

    def load(self) -> Any:
        from voice_router.web import create_app

        return create_app()
