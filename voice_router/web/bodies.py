"""Request bodies: at most `max_body_bytes`, with a Content-Length or without (chunked).

werkzeug's `get_input_stream` refuses a Content-Length over the limit up front (413), but a
body without one, which the server dechunks and marks `wsgi.input_terminated`, is only
capped: reading stops at the limit and the body, cut, then fails its signature (401), its
JSON (400), or is parsed as a shorter form. `input_stream` reads one byte past the limit to
tell "exactly the limit" from "over it", and answers 413 for the second. Both the webhook
layer (webhooks.py) and Flask (`Request`, for the API and the UI's forms) read through it.

A sender that stops sending mid-body is a 408: the server's socket timeout (gunicorn: see
deploy/gunicorn.conf.py) raises `TimeoutError` inside the read.
"""

from __future__ import annotations

from typing import IO, Any, cast

from flask import Request as FlaskRequest
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge, RequestTimeout
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class CappedStream(LimitedStream):
    """A terminated input stream that raises RequestEntityTooLarge once more than
    `max_bytes` bytes have come in."""

    def __init__(self, stream: IO[bytes], max_bytes: int) -> None:
        super().__init__(stream, max_bytes + 1, is_max=True)
        self.max_bytes = max_bytes

    def readinto(self, b: bytearray) -> int | None:  # type: ignore[override]  # as LimitedStream's
        read = super().readinto(b)
        if self.tell() > self.max_bytes:
            raise RequestEntityTooLarge()
        return read

    def on_disconnect(self, error: Exception | None = None) -> None:
        if isinstance(error, TimeoutError):
            raise RequestTimeout("the request body stopped arriving")
        super().on_disconnect(error)


def input_stream(environ: dict[str, Any], max_bytes: int | None) -> IO[bytes]:
    """The body stream of a WSGI request, read safely up to `max_bytes` (None: no limit)."""
    stream = get_input_stream(environ, max_content_length=max_bytes)  # Content-Length: 413 now
    if max_bytes is None or not environ.get("wsgi.input_terminated"):
        return stream  # no limit, or a server that does not end the stream: werkzeug's wrap
    return cast(IO[bytes], CappedStream(environ["wsgi.input"], max_bytes))


def read_body(environ: dict[str, Any], max_bytes: int | None) -> bytes:
    """The whole body, as `input_stream(environ, max_bytes).read()` gives it. A body that
    the server ends itself (gunicorn: `wsgi.input_terminated`) and declares a length within
    the limit is read straight off the server's stream, without werkzeug's wrappers: this
    runs for every webhook. The same errors: a timeout is a 408, a broken read a 400."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if max_bytes is None or not environ.get("wsgi.input_terminated") or not declared.isdigit():
        return input_stream(environ, max_bytes).read()
    length = int(declared)
    if length > max_bytes:
        raise RequestEntityTooLarge()
    stream, parts, got = environ["wsgi.input"], [], 0
    try:
        while got < length:
            part = stream.read(length - got)
            if not part:
                break  # the sender stopped: a short body, as the wrapped stream reads it
            parts.append(part)
            got += len(part)
    except TimeoutError:
        raise RequestTimeout("the request body stopped arriving") from None
    except (OSError, ValueError):
        raise ClientDisconnected() from None
    return parts[0] if len(parts) == 1 else b"".join(parts)


class Request(FlaskRequest):
    """Flask's request, reading its body through `input_stream` (MAX_CONTENT_LENGTH)."""

    @cached_property
    def stream(self) -> IO[bytes]:
        if self.shallow:
            raise RuntimeError("This request was created with 'shallow=True', reading is disabled.")
        return input_stream(self.environ, self.max_content_length)
