"""One outbound HTTP exchange (a write-back note, a Slack digest, a token) with an overall
deadline, and what a failure says about whether the request went out.

`requests`' timeout bounds each socket operation, not the exchange: a server that answers a
header line every few seconds held a sender for ever. `exchange` arms a watchdog for the
whole of it (connect, request, answer and body); at the deadline the watchdog shuts the
socket down, the read in progress ends, and the exchange counts as timed out, whatever part
of an answer came. The sessions `session()` makes register their sockets with the watchdog
of the exchange in progress (a connection class of their own, per scheme), so a connection
kept alive from an earlier exchange is watched too.

What a failure proves (`Failed.what`):

* `CONNECT`: no connection was made (refused, unknown host, connect timeout, TLS handshake):
  nothing was sent; safe to try again.
* `TIMEOUT`: the request went out and no full answer came in time.
* `LOST`: the connection closed or was reset after the request went out, before an answer.
* `INVALID`: the request could not be built (a bad URL): nothing was sent, nor ever will be.

After `TIMEOUT` or `LOST` the other side may have acted on the request (`Failed.sent`):
a note or a message may have been posted, so a caller must not simply send it again.

`within` gives the same deadline to requests a library sends through a session of its own
(the Jira client's, fitted by `watch`); `deadline` is the watchdog alone, for a protocol other
than HTTP (an SMTP conversation registers its sockets with `join`).
"""

from __future__ import annotations

import contextvars
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from integrations.outbound_errors import OutboundError, OutboundTransient

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

CONNECT, TIMEOUT, LOST, INVALID = "connect", "timeout", "lost", "invalid"


class Failed(Exception):
    """An exchange that got no answer; `what` is one of the four above, `cause` the name of
    the exception underneath (never its text, which can hold the URL)."""

    def __init__(self, what: str, cause: str) -> None:
        super().__init__(f"{what} ({cause})")
        self.what = what
        self.cause = cause

    @property
    def sent(self) -> bool:
        """The request went out: the other side may have acted on it."""
        return self.what in (TIMEOUT, LOST)


def error_for(
    failed: Failed,
    who: str,
    timeout: float,
    *,
    transient: type[OutboundTransient],
    permanent: type[OutboundError],
    writes: bool = True,
    invalid: str = "bad_request",
) -> OutboundError:
    """The named error for an exchange with `who` that got no answer, as `transient` or
    `permanent` (a client's own classes). Only a failure to connect proves nothing arrived;
    after a timeout or a connection lost, a request that `writes` is `ambiguous`."""
    if failed.what == CONNECT:
        return transient(f"could not connect to {who} ({failed.cause})", reason="connection_failed")
    if failed.what == TIMEOUT:
        return transient(
            f"{who} did not answer within {timeout:g} s", reason="timeout", ambiguous=writes
        )
    if failed.what == LOST:
        return transient(
            f"the connection to {who} closed before an answer ({failed.cause})",
            reason="connection_lost",
            ambiguous=writes,
        )
    return permanent(f"could not send the request to {who} ({failed.cause})", reason=invalid)


class _Watch:
    """The sockets of one exchange, shut down at its deadline unless it ended first. Shut
    and ended under one lock, so a socket is never shut after its exchange handed it back
    to the pool (or after its descriptor was reused)."""

    def __init__(self) -> None:
        self.expired = False
        self._ended = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shut(sock)
            elif not self._ended:
                self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            if self._ended:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def end(self) -> None:
        with self._lock:
            self._ended = True
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar(
    "voice_router_http_watch", default=None
)


@contextmanager
def deadline(seconds: float) -> Iterator[_Watch]:
    """A watchdog for `seconds`: at the end of them every socket joined to it (`join`, or
    the connections of a watched session) is shut down, and `expired` is set."""
    watchdog = _Watch()
    token = _current.set(watchdog)
    timer = threading.Timer(seconds, watchdog.expire)
    timer.daemon = True
    timer.start()
    try:
        yield watchdog
    finally:
        timer.cancel()
        watchdog.end()
        _current.reset(token)


def session(user_agent: str) -> requests.Session:
    """A requests session whose connections the exchange's watchdog can shut."""
    import requests

    made = requests.Session()
    made.headers["User-Agent"] = user_agent
    return watch(made)


def watch(made: requests.Session) -> requests.Session:
    """`made`, its connections now ones the exchange's watchdog can shut (a session a
    library made, such as the Jira client's)."""
    adapter = _adapter_class()()
    made.mount("http://", adapter)
    made.mount("https://", adapter)
    return made


def exchange(
    client: requests.Session, method: str, url: str, timeout: float, **options: Any
) -> requests.Response:
    """One request and its whole answer (body read) within `timeout` seconds all told,
    redirects not followed; any failure to get it is raised as `Failed`."""
    return within(
        timeout,
        lambda: client.request(method, url, timeout=timeout, allow_redirects=False, **options),
    )


def within(timeout: float, send: Callable[[], requests.Response]) -> requests.Response:
    """What `send` returns (requests on watched sessions, their answers read whole), within
    `timeout` seconds all told; a failure to get an answer is raised as `Failed`, and so is
    whatever `send` raised once the deadline had passed (an answer cut off proves nothing).
    Anything else `send` raises (a library's error for an answer it read) goes through."""
    import requests

    with deadline(timeout) as watched:
        try:
            response = send()
        except requests.RequestException as exc:
            raise Failed(_what(exc, watched.expired), type(exc).__name__) from exc
        except Exception as exc:
            if watched.expired:
                raise Failed(TIMEOUT, type(exc).__name__) from exc
            raise
    if watched.expired:  # cut off: what did arrive (a status line, some headers) proves nothing
        response.close()
        raise Failed(TIMEOUT, "deadline")
    return response


def _what(exc: Exception, expired: bool) -> str:
    import requests

    if _no_connection(exc):
        return CONNECT
    if expired or isinstance(exc, requests.Timeout):
        return TIMEOUT
    if isinstance(exc, requests.exceptions.SSLError):  # the handshake: nothing sent yet
        return CONNECT
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return LOST
    if isinstance(exc, ValueError):  # InvalidURL, MissingSchema, InvalidHeader ...
        return INVALID
    return LOST


def _no_connection(exc: BaseException) -> bool:
    """Whether `exc` says no connection was made: urllib3's NewConnectionError (refused,
    unknown host; requests wraps it in MaxRetryError) or a connect timeout, anywhere in
    what it wraps."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        found = pending.pop()
        if found is None or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(found, BaseException):
            pending += [getattr(found, "reason", None), *found.args[:1]]
    return False


_adapter: type | None = None


def _adapter_class() -> type:
    """requests' HTTPAdapter whose pools make connections that join the current watch.
    Built on first use: importing this module loads neither requests nor urllib3."""
    global _adapter
    if _adapter is not None:
        return _adapter
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Watched:
        """Joins the exchange in progress when it connects or sends on a kept connection."""

        sock: socket.socket | None

        def connect(self) -> None:
            super().connect()  # type: ignore[misc]  # the urllib3 connection it is mixed into
            join(self.sock)

        def request(self, *args: Any, **kwargs: Any) -> None:
            join(self.sock)  # None when not yet connected: connect() joins then
            super().request(*args, **kwargs)  # type: ignore[misc]  # as above

    class WatchedHTTP(Watched, HTTPConnection):
        pass

    class WatchedHTTPS(Watched, HTTPSConnection):
        pass

    class WatchedPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTP

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPS

    watched = {"http": WatchedPool, "https": WatchedHTTPSPool}

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = watched

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            """Through a proxy (HTTPS_PROXY) too."""
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = watched
            return manager

    _adapter = WatchedAdapter
    return _adapter


def join(sock: socket.socket | None) -> None:
    """Put `sock` under the watchdog of the `deadline` in progress, if there is one."""
    current = _current.get()
    if current is not None:
        current.add(sock)
