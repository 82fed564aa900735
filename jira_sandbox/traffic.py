"""The request log, process-wide request taps, and the fault plan (fail / delay / drop).

Every request a sandbox answers becomes a `Call` in its own log and is handed to each open
`tap()` in the process, whichever sandbox served it: a test fixture can look at all the Jira
traffic of one test (tests/jira_openapi.py checks it against Atlassian's OpenAPI description).

Paths are matched with `re.fullmatch` against the request path without the query string,
so `r"/rest/api/2/issue"` means issue creation only and `r"/rest/api/2/issue/[^/]+"` one issue.
Method `"*"` matches any method.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

DROPPED = 0  # status recorded for a request whose connection the sandbox dropped

FaultKind = Literal["fail", "delay", "drop"]


class Call(NamedTuple):
    method: str
    path: str  # the full request path, `base_path` included
    query: str
    status: int
    body: bytes = b""
    content_type: str = ""
    base_path: str = ""  # the sandbox's context path (e.g. /ex/jira/<cloudId>), or ""
    deployment: str = "cloud"  # "cloud" or "datacenter": which Jira answered


_taps: list[list[Call]] = []
_taps_lock = threading.Lock()


@contextmanager
def tap() -> Iterator[list[Call]]:
    """Collect every request any sandbox in this process answers while the block runs."""
    seen: list[Call] = []
    with _taps_lock:
        _taps.append(seen)
    try:
        yield seen
    finally:
        with _taps_lock:
            _taps.remove(seen)


def _publish(call: Call) -> None:
    with _taps_lock:
        for seen in _taps:
            seen.append(call)


@dataclass
class Fault:
    kind: FaultKind
    method: str
    pattern: re.Pattern[str]
    remaining: int
    status: int = 503
    retry_after: int | None = None
    body: Any = None
    seconds: float = 0.0
    mode: Literal["drop", "503", "trickle"] = "drop"

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method) and bool(self.pattern.fullmatch(path))


def _matches(method: str, path_regex: str, call_method: str, call_path: str) -> bool:
    method = method.upper()
    return (method == "*" or method == call_method) and bool(re.fullmatch(path_regex, call_path))


class Traffic:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self.wake = threading.Event()  # set on shutdown to cut injected delays short

    # -- log -----------------------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
        _publish(call)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def count(self, method: str = "*", path_regex: str = ".*") -> int:
        return sum(1 for c in self.calls if _matches(method, path_regex, c.method, c.path))

    # -- faults --------------------------------------------------------------------------

    def add(self, kind: FaultKind, method: str, path_regex: str, times: int, **opts: Any) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault(kind, method.upper(), re.compile(path_regex), times, **opts)
        with self._lock:
            self._faults.append(fault)

    def take(self, kind: FaultKind, method: str, path: str) -> Fault | None:
        """Consume one use of the first matching fault of this kind."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)
