"""`JiraSandbox`: the emulator on a loopback port, plus the levers tests pull."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .controls import SandboxControls
from .errors import JiraError
from .jql_eval import compile_query
from .state import Event, SandboxState
from .webhooks import DEFAULT_EVENTS, Delivery, Dispatcher, WebhookTarget, post


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class JiraSandbox(SandboxControls):
    """A stateful Jira emulator served on 127.0.0.1 with an ephemeral port.

    `deployment="cloud"` (default) emulates Jira Cloud; `"datacenter"` Jira Data Center /
    Server 9.x-10.x (`server_version`): REST v2 only, classic search, personal access tokens.
    `index_lag` is how many seconds searches lag behind changes (see `set_index_lag`).

    Person-made changes (`transition`, `edit`, `release_version`, `delete_issue`) return the
    webhook body Jira would send and deliver it synchronously to the registered target.
    """

    def __init__(
        self,
        email: str = "bot@example.com",
        api_token: str = "t0k",
        project: str = "PROD",
        *,
        state: SandboxState | None = None,
        base_path: str = "",
        clock: Callable[[], datetime] | None = None,
        deployment: str = "cloud",
        index_lag: float = 0.0,
        server_version: str = "9.12.15",
    ) -> None:
        if state is None:
            optional: dict[str, Any] = {"clock": clock} if clock else {}
            state = SandboxState(
                email,
                api_token,
                (project,),
                deployment=deployment,
                index_lag=index_lag,
                server_version=server_version,
                **optional,
            )
        super().__init__(state, project)
        self.base_path = base_path.rstrip("/")
        self.deliveries: list[Delivery] = []
        self._target: WebhookTarget | None = None
        self._dispatcher = Dispatcher(self.deliveries)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        state.listeners.append(self._on_event)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> JiraSandbox:
        if self._server is not None:
            return self
        app = create_app(self.state, base_path=self.base_path)
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.state.base_url = f"http://127.0.0.1:{self._server.server_port}{self.base_path}"
        self.state.traffic.wake.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # shutdown() waits up to one poll interval
            name="jira-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.traffic.wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None
        self._dispatcher.close()

    def __enter__(self) -> JiraSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server URL to give the `jira` client (includes `base_path`)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; use start() or a with block")
        return self.state.base_url

    # -- webhooks ------------------------------------------------------------------------

    def register_webhook(
        self,
        url: str,
        secret: str | None = None,
        *,
        events: Iterable[str] = DEFAULT_EVENTS,
        jql: str | None = None,
        api_changes: bool = False,
        timeout: float = 5.0,
    ) -> None:
        """One admin webhook; unsigned without a `secret`. With `jql`, issue and comment
        events are sent only for issues the query matches at the time of the change (an
        invalid query is refused here, as Jira refuses to save it: ValueError). `api_changes`
        also delivers changes made through REST (in the background, in order; see
        `flush_webhooks`), as real Jira does."""
        if jql is not None:
            try:
                with self.state.lock:
                    compile_query(self.state, jql)
            except JiraError as exc:
                raise ValueError(f"invalid webhook JQL: {exc.messages}") from None
        self._target = WebhookTarget(url, secret, tuple(events), api_changes, timeout, jql)

    def unregister_webhook(self) -> None:
        self._target = None

    def send_webhook(
        self,
        payload: bytes,
        *,
        identifier: str | None = None,
        retry: int = 0,
        secret: str | None = None,
    ) -> Delivery:
        """Deliver `payload` now. Reuse `identifier` to replay a delivery as Jira retries do;
        `secret` overrides the registered one (to provoke a bad signature)."""
        if self._target is None:
            raise RuntimeError("no webhook registered; call register_webhook() first")
        delivery = post(self._target, payload, identifier=identifier, retry=retry, secret=secret)
        self.deliveries.append(delivery)
        return delivery

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        return self._dispatcher.flush(timeout)

    def _deliver(self, event: Event, send: bool) -> bytes:
        target = self._target
        if send and target is not None and self._wanted(target, event):
            self.send_webhook(event.payload)
        return event.payload

    def _on_event(self, event: Event) -> None:
        target = self._target
        if not event.via_api or target is None or not target.api_changes:
            return
        if self._wanted(target, event):
            self._dispatcher.submit(target, event.payload)

    def _wanted(self, target: WebhookTarget, event: Event) -> bool:
        """Subscribed to the event, and its issue matches the webhook's JQL filter (Jira
        evaluates the filter against the issue as the change left it, not the index)."""
        if not target.wants(event.name):
            return False
        if target.jql is None or event.issue is None:
            return True
        with self.state.lock:
            try:
                predicate, _ = compile_query(self.state, target.jql)
            except JiraError:  # e.g. a version named in the filter was deleted
                return False
            return predicate(event.issue)
