"""The runtime bound to the current Flask app."""

from __future__ import annotations

from flask import current_app

from voice_router.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["voice_router"]
