"""The registry under threads: the first webhooks a fresh web process takes arrive together
(gunicorn's gthread), and each looks its helpdesk's adapter up; one of them imports the
adapter's package while the others wait for that import, instead of reading a module that
has no ADAPTER yet (an AttributeError, answered 500)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from integrations import registry

KIND = "slowdesk"
# Set by the package below while its import is under way; it then waits for RELEASE.
IMPORTING = threading.Event()
RELEASE = threading.Event()
PACKAGE = f'''
from types import SimpleNamespace
from {__name__} import IMPORTING, RELEASE
IMPORTING.set()
RELEASE.wait(10)
ADAPTER = SimpleNamespace(kind="{KIND}")
'''


@pytest.fixture
def slowdesk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / KIND).mkdir()
    (tmp_path / KIND / "__init__.py").write_text(PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.HELPDESKS, KIND, KIND)
    IMPORTING.clear()
    RELEASE.clear()
    yield
    RELEASE.set()
    sys.modules.pop(KIND, None)


def _looked_up(outcome: dict[str, Any]) -> threading.Thread:
    def look_up() -> None:
        try:
            outcome["adapter"] = registry.adapter(KIND)
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=look_up, daemon=True)
    thread.start()
    return thread


@pytest.mark.usefixtures("slowdesk")
def test_a_lookup_during_another_threads_import_waits_for_it() -> None:
    first: dict[str, Any] = {}
    importing = _looked_up(first)
    assert IMPORTING.wait(10)  # the first lookup is inside the package's import now
    second: dict[str, Any] = {}
    waiting = _looked_up(second)
    waiting.join(0.3)
    assert "error" not in second, second["error"]  # it did not read the half-made module
    RELEASE.set()
    for thread in (importing, waiting):
        thread.join(10)
    assert first == second == {"adapter": SimpleNamespace(kind=KIND)}
    assert registry.adapter(KIND) is first["adapter"]  # later lookups take the finished one
