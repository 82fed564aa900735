"""A sender that stops sending mid-body is cut, under a server that would wait for ever.

granian (`voice-router serve`'s server) hands a request to a thread of the app before its
body has arrived, and a read of the body then waits for as long as the sender sends
nothing: it has no body timeout (granian issue #728, declined). A stalled sender would hold
its thread, and its connection, until it went away, and enough of them would leave nobody to
answer /healthz or the next webhook. gunicorn bounds each read by `timeout` instead
(voice_router/gunicorn_config.py, `pre_request`), and this module gives the same bound here.

`Watchdog` wraps the WSGI app: each request's body stream notes when a read starts and ends.
A thread of the watchdog looks every second; when a read has been waiting `timeout` seconds,
it shuts the reading side of every connection of this process to the listening port that
has received nothing for `timeout` seconds (TCP_INFO's `tcpi_last_data_recv`: Linux only;
elsewhere nothing is cut). The read then ends early, the stream raises `TimeoutError` and
voice_router/web/bodies.py answers 408 on the connection, which granian then closes. An idle
keep-alive connection quiet that long is closed too; a sender that trickles is not cut, as
with gunicorn, whose timeout bounds each wait for bytes, not the whole body.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_ESTABLISHED = 1
_LAST_DATA_RECV = 52  # offset of tcpi_last_data_recv (ms) in struct tcp_info


class Watchdog:
    def __init__(self, app: WSGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self.reading: set[WatchedBody] = set()
        self.cuts = 0  # connections cut so far
        self.port = 0
        if sys.platform.startswith("linux"):
            threading.Thread(target=self._watch, name="stalled-senders", daemon=True).start()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.port = self.port or int(environ.get("SERVER_PORT") or 0)
        length = environ.get("CONTENT_LENGTH", "")
        environ["wsgi.input"] = WatchedBody(
            environ["wsgi.input"], self, int(length) if length.isdigit() else None
        )
        return self.app(environ, start_response)

    def _watch(self) -> None:
        while True:
            time.sleep(1.0)
            now = time.monotonic()
            if any(now - body.since >= self.timeout for body in list(self.reading)):
                with contextlib.suppress(OSError):
                    self.cut_quiet_connections()

    def cut_quiet_connections(self) -> None:
        cut = 0
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError, ValueError):
                if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                    continue
                with socket.socket(fileno=os.dup(int(name))) as sock:  # its own family, type
                    if self._quiet(sock):
                        self.cuts += 1  # before the read it ends looks
                        sock.shutdown(socket.SHUT_RD)
                        cut += 1
        if cut:
            log.warning("http.sender_stalled", extra={"connections": cut})

    def _quiet(self, sock: socket.socket) -> bool:
        """An accepted connection (to the listening port) that has received nothing for
        `timeout` seconds."""
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return False
        if sock.type != socket.SOCK_STREAM or sock.getsockname()[1] != self.port:
            return False
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _LAST_DATA_RECV + 4)
        if len(info) < _LAST_DATA_RECV + 4 or info[0] != _ESTABLISHED:
            return False
        idle_ms = struct.unpack_from("I", info, _LAST_DATA_RECV)[0]
        return bool(idle_ms >= self.timeout * 1000)


class WatchedBody:
    """A request's body stream whose reads the watchdog sees; a read the watchdog cut short
    raises TimeoutError (a 408), one the sender cut short ConnectionResetError (werkzeug:
    400)."""

    def __init__(self, inner: IO[bytes], watchdog: Watchdog, length: int | None) -> None:
        self.inner, self.watchdog, self.length = inner, watchdog, length
        self.since = 0.0
        self.received = 0
        self.cut = False

    def read(self, size: int | None = -1) -> bytes:
        return self._watched(lambda: self.inner.read(-1 if size is None else size), size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._watched(lambda: self.inner.readline(-1 if size is None else size), size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _watched(self, read: Callable[[], bytes], size: int | None) -> bytes:
        cuts = self.watchdog.cuts
        started = self.since = time.monotonic()
        self.watchdog.reading.add(self)
        try:
            data = read()
        finally:
            self.watchdog.reading.discard(self)
        self.received += len(data)
        if self.watchdog.cuts != cuts and time.monotonic() - started >= self.watchdog.timeout:
            self.cut = True  # this read waited long enough to be the one cut
        short = self.length is not None and self.received < self.length
        ended = (size is None or size < 0 or not data) and size != 0
        if ended and self.cut and (short or self.length is None):
            raise TimeoutError("the request body stopped arriving")
        if ended and short:
            raise ConnectionResetError("the sender closed the connection mid-body")
        return data
