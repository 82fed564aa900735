"""Logs are events: one line per record, a stable event name, ids as fields.

Call sites stay plain stdlib logging, `log.info("jira.sync.created", extra={"problem_id": 7})`;
the formatter (python-json-logger) turns each record into

    {"timestamp": "...Z", "level": "info", "event": "jira.sync.created", "logger": "...",
     "request_id": "...", "pid": 12, "problem_id": 7}

and scrubs it on the way out (voice_router.platform.masking: secrets, credentials, payloads and
e-mail addresses never reach a line).

`log_format` decides how a line is written: `json` (the above), `text` (the same fields,
scrubbed by the same code, as `timestamp level event key=value ...` for a person to read),
or `auto`: text when the stream is a terminal, JSON otherwise.

`configure(settings)` runs once per process (the app factory, the CLI). A request's id
(`request_id_var`) is on every line logged while the request runs; voice_router/web sets it
(request_ids.py for the Flask app, webhooks.py for the WSGI layer in front of it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS, merge_record_extra
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from voice_router.platform.masking import register_secrets, scrub_fields, secrets_of

if TYPE_CHECKING:
    from voice_router.platform.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes: logged at debug

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SKIP = set(RESERVED_ATTRS) | {"message", "asctime", "request_id"}

request_id_var: ContextVar[str | None] = ContextVar("voice_router_request_id", default=None)

_lock = threading.Lock()


# -- formatting ---------------------------------------------------------------------------


class JsonFormatter(_JsonFormatter):
    """timestamp, level, event, logger, request_id, pid, then the record's `extra` fields."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        moment = datetime.fromtimestamp(record.created, UTC)
        log_data["timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname.lower()
        log_data["event"] = record.message
        log_data["logger"] = record.name
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            log_data["request_id"] = request_id
        log_data["pid"] = record.process
        extra: dict[str, Any] = dict(message_dict)
        merge_record_extra(record, extra, reserved=_SKIP)
        for key, value in extra.items():
            log_data.setdefault(key, value)  # an extra never overrides the fields above

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return scrub_fields(log_data)


_BARE = re.compile(r"[^\s\"'=\\]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(text: str, keep: str = "") -> str:
    """`text` with every character a terminal would act on (controls, escapes) spelled out."""
    return "".join(
        ch if (ch.isprintable() and ch not in _ESCAPES) or ch in keep else _escape(ch)
        for ch in text
    )


def _escape(ch: str) -> str:
    return _ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def _text_value(value: Any) -> str:
    if isinstance(value, str):
        return value if _BARE.fullmatch(value) and value.isprintable() else f'"{_visible(value)}"'
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    dumped = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return _visible(dumped, keep='"\\')  # JSON escaped quotes and backslashes already


class TextFormatter(JsonFormatter):
    """The JSON formatter's fields, scrubbed by the same code, written for a person:

        2026-11-25T20:22:47.387Z INFO    jira.sync.created problem_id=1 issue=PROD-1

    then a traceback, if any, on indented lines; `request_id` comes last, `logger` and `pid`
    are left to JSON. Values with spaces, quotes or control characters are quoted, with the
    characters spelled out."""

    _HIDDEN = frozenset({"timestamp", "level", "event", "logger", "pid"})
    _TRAILING = ("exc_info", "stack_info")

    def serialize_log_record(self, log_data: dict[str, Any]) -> str:
        event = str(log_data.get("event", ""))
        head = [
            str(log_data.get("timestamp", "")),
            f"{str(log_data.get('level', '')).upper():<7}",
            event if event.isprintable() else f'"{_visible(event)}"',
        ]
        shown = [k for k in log_data if k not in self._HIDDEN and k not in self._TRAILING]
        shown.sort(key=lambda k: k == "request_id")  # the ids of the event first
        fields = [f"{_visible(key)}={_text_value(log_data[key])}" for key in shown]
        lines = [" ".join(head + fields)]
        for key in self._TRAILING:
            trace = log_data.get(key)
            if trace:
                text = trace if isinstance(trace, str) else "\n".join(map(str, trace))
                lines += ["    " + _visible(line, keep='\t"\\') for line in text.splitlines()]
        return "\n".join(lines)


# -- which format -------------------------------------------------------------------------

_JSON = JsonFormatter()
_TEXT = TextFormatter()
_format: str | None = None  # the process's log_format; None until configure() or first use


def _process_format() -> str:
    """The configured log_format; before configure() (gunicorn's master process builds its
    handlers from `logconfig_dict` and never creates the app) the settings are read once."""
    global _format
    if _format is None:
        _format = "auto"
        from voice_router.platform.settings import ConfigError, load_settings

        with suppress(ConfigError):  # the app stops on it with one clear line; until then: auto
            _format = load_settings().log_format
    return _format


def is_terminal(stream: IO[str] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def formatter_for(stream: IO[str] | None, log_format: str | None = None) -> JsonFormatter:
    """The formatter `log_format` (default: the process's) asks for on this stream: text
    for `text`, and for `auto` on a terminal; JSON otherwise."""
    chosen = log_format or _process_format()
    if chosen == "text" or (chosen == "auto" and is_terminal(stream)):
        return _TEXT
    return _JSON


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time (test capture, a redirected stream),
    in the process's `log_format` (auto: text when stderr is a terminal, JSON otherwise).

    A formatter of this module set on it (gunicorn's `logconfig_dict` names JsonFormatter)
    means "voice-router's events": the setting picks JSON or text at each line. Any other
    formatter is used as it is."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        if self.formatter is None or isinstance(self.formatter, JsonFormatter):
            return formatter_for(sys.stderr).format(record)
        return self.formatter.format(record)


def _is_ours(handler: logging.Handler) -> bool:
    return isinstance(handler, StderrHandler) or isinstance(handler.formatter, JsonFormatter)


def configure(settings: Settings | None = None, level: int | None = None) -> None:
    """Log lines on stderr for this process, in the settings' `log_format`; safe to call
    again (secrets accumulate, the handler is installed once, and a handler of ours someone
    else set up, such as gunicorn's `logconfig_dict` or `to_file`, is kept)."""
    global _format
    if settings is not None:
        register_secrets(secrets_of(settings))
        _format = settings.log_format
    if level is None:
        name = settings.log_level.upper() if settings is not None else "INFO"
        level = logging.getLevelNamesMapping().get(name, logging.INFO)
    root = logging.getLogger()
    with _lock:
        root.setLevel(level)  # the latest caller decides (a CLI command, the app, a test)
        if any(_is_ours(h) for h in root.handlers):
            return
        root.addHandler(StderrHandler())
    logging.captureWarnings(True)


@contextmanager
def to_file(path: str | Path) -> Iterator[Path]:
    """While the block runs, this process's log lines go to `path` (appended) instead of
    stderr: `voice-router demo` keeps its terminal for the story. The file's lines follow
    `log_format` as any stream does (auto: JSON, a file is no terminal). Afterwards the
    handlers and level from before are back."""
    target = Path(path)
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(formatter_for(handler.stream))
    root = logging.getLogger()
    with _lock:
        level = root.level
        replaced = [(i, h) for i, h in enumerate(root.handlers) if isinstance(h, StderrHandler)]
        for _, old in replaced:
            root.removeHandler(old)
        root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield target
    finally:
        with _lock:
            root.removeHandler(handler)
            for index, old in replaced:  # where they were, ahead of handlers added since
                if old not in root.handlers:
                    root.handlers.insert(index, old)
            root.setLevel(level)
        handler.close()


# -- request ids --------------------------------------------------------------------------


_IDS_PER_DRAW = 256
_spare_ids: list[str] = []  # drawn, not handed out yet; a forked child draws its own
os.register_at_fork(after_in_child=_spare_ids.clear)


def new_request_id() -> str:
    """A random version-4 UUID as 32 hex digits, as `uuid.uuid4().hex` gives, from random
    bytes drawn 256 ids at a time: every webhook without an id of its own takes one, and
    each draw is a system call during which the request's thread gives up the interpreter
    lock to the process's other threads."""
    try:
        return _spare_ids.pop()
    except IndexError:
        pass
    drawn = bytearray(os.urandom(16 * _IDS_PER_DRAW))
    ids = []
    for start in range(0, len(drawn), 16):
        drawn[start + 6] = drawn[start + 6] & 0x0F | 0x40  # version 4
        drawn[start + 8] = drawn[start + 8] & 0x3F | 0x80  # RFC 4122 variant
        ids.append(drawn[start : start + 16].hex())
    _spare_ids.extend(ids)  # list operations are atomic: threads drawing at once both add
    return _spare_ids.pop()


def request_id_for(incoming: str | None) -> str:
    """The caller's `X-Request-ID` when it is sane, else a new one."""
    return incoming if incoming and _REQUEST_ID.fullmatch(incoming) else new_request_id()


_request_log = logging.getLogger("voice_router.web.requests")


def request_finished(
    method: str, path: str, endpoint: str | None, status: int, started: float
) -> None:
    """The `http.request` event of one answered request (at debug for probes and accepted
    webhooks: high-volume machine traffic, already counted in metrics and, for webhooks,
    stored as deliveries; their refusals are worth a line)."""
    quiet = path in QUIET_PATHS or (path.startswith("/webhooks/") and status == 202)
    level = logging.DEBUG if quiet else logging.INFO
    if not _request_log.isEnabledFor(level):
        return
    _request_log.log(
        level,
        "http.request",
        extra={
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
