"""A whole loop on loopback: the app served on a real port, a Jira sandbox that sends it
signed webhooks, and helpdesk APIs / Slack as real HTTP servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jira_sandbox import JiraSandbox
from tests.jira_sync.conftest import EMAIL, TOKEN
from tests.support import SECRETS, inline_runtime
from voice_router.demo import serving
from voice_router.platform.runtime import Runtime
from voice_router.web import create_app

JIRA_SECRET = "jira-webhook-secret"


class Loop:
    def __init__(self, runtime: Runtime, client: Any, base: str, sandbox: JiraSandbox) -> None:
        self.runtime, self.client, self.base, self.sandbox = runtime, client, base, sandbox


@pytest.fixture
def make_loop(make_settings, sandbox) -> Iterator[Callable[..., Loop]]:
    started: list[tuple[Runtime, Any]] = []

    def build(
        shipped_when: str = "done",
        sources: dict[str, dict[str, Any]] | None = None,
        notify: dict[str, Any] | None = None,
        webhooks: bool = True,
        **top: Any,
    ) -> Loop:
        source_tables = {
            kind: {"kind": kind, "secret": secret, **(sources or {}).get(kind, {})}
            for kind, secret in SECRETS.items()
        }
        settings = make_settings(
            sources=source_tables,
            jira={
                "url": sandbox.url,
                "email": EMAIL,
                "api_token": TOKEN,
                "project": "PROD",
                "webhook_secret": JIRA_SECRET,
                "shipped_when": shipped_when,
                "update_interval_seconds": 0,
            },
            notify=notify or {},
            base_url="https://vr.example",
            **top,
        )
        runtime = inline_runtime(settings)
        app = create_app(runtime=runtime)
        context = serving(app)
        base = context.__enter__()
        started.append((runtime, context))
        if webhooks:
            # InlineJobs answers a webhook only after the drain, the Jira sync and the
            # messages it set off: on a loaded CI machine that took longer than the
            # sandbox's 5 s, which gave up, and the test read Slack before the drain ended.
            sandbox.register_webhook(f"{base}/webhooks/jira", JIRA_SECRET, timeout=60)
        return Loop(runtime, app.test_client(), base, sandbox)

    yield build
    for runtime, context in started:
        context.__exit__(None, None, None)
        runtime.engine.dispose()
