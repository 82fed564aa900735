"""The runtime bound to the current Flask app."""

from __future__ import annotations

from typing import cast

from flask import current_app

from voice_router.platform.runtime import Runtime, mark_sync_due, tell_soon


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["voice_router"])


def messages_later() -> None:
    """A person's change made messages due (a merge into a shipped problem): the sender is
    told now (`tell_soon`), instead of the messages waiting for its next sweep."""
    rt = runtime()
    tell_soon(rt, rt.queue.signal_outbound)


def sync_later(problem_ids: list[int]) -> None:
    """A person changed these problems (note, merge, link): sync their Jira issues soon,
    without waiting out the update interval."""
    rt = runtime()
    if rt.settings.jira.url:
        mark_sync_due(rt, problem_ids, waited=False)
