"""Jira Cloud: a boring client (one short method per endpoint) and the impact block renderer.
Decisions (when to create, update or skip) live in voice_router.tracker.sync."""
