"""integrations/README.md's promise: a seventh helpdesk is a copied folder and one registry
line. The folder is a copy of integrations/freshdesk renamed `acmedesk` in tmp_path, with
copies of Freshdesk's fixtures and samples; nothing else in the tree changes, and the whole
contract holds for it, through the service too."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from integrations import registry
from tests.integrations import contract
from tests.integrations.helpdesks import ROOT, Desk
from tests.integrations.test_contract import named, service_settings
from tests.support import inline_runtime

KIND = "acmedesk"
COPIED = "freshdesk"


@pytest.fixture
def acmedesk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    folder = tmp_path / "code" / KIND
    shutil.copytree(ROOT / "integrations" / COPIED, folder, ignore=shutil.ignore_patterns("__py*"))
    for module in folder.glob("*.py"):  # what a person copying the folder renames
        module.write_text(module.read_text().replace(f'"{COPIED}"', f'"{KIND}"'))
    shutil.copytree(ROOT / "tests" / "fixtures" / COPIED, tmp_path / "fixtures")
    shutil.copytree(ROOT / "voice_router" / "samples" / COPIED, tmp_path / "samples")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    monkeypatch.setitem(registry.HELPDESKS, KIND, KIND)  # the registry line
    yield Desk(KIND, fixtures=tmp_path / "fixtures", samples=tmp_path / "samples")
    for name in [name for name in sys.modules if name == KIND or name.startswith(KIND + ".")]:
        del sys.modules[name]


def test_the_copy_is_a_registered_kind_of_its_own(acmedesk: Desk) -> None:
    assert KIND in registry.kinds()
    assert acmedesk.adapter.kind == KIND and type(acmedesk.adapter).__module__ != KIND
    assert acmedesk.adapter.writeback is not None and acmedesk.adapter.writeback.kind == KIND


@pytest.mark.parametrize("check", contract.ADAPTER_CHECKS, ids=named)
def test_adapter_contract(acmedesk: Desk, check: Callable[[Desk], None]) -> None:
    check(acmedesk)


@pytest.mark.parametrize("check", contract.WRITEBACK_CHECKS, ids=named)
def test_writeback_contract(
    acmedesk: Desk, check: Callable[..., None], httpserver: HTTPServer
) -> None:
    check(acmedesk, httpserver)


def test_a_signed_webhook_is_stored_and_becomes_a_pain_point(acmedesk: Desk, tmp_path: Any) -> None:
    runtime = inline_runtime(service_settings(KIND, tmp_path))
    try:
        contract.check_a_signed_sample_becomes_a_pain_point(acmedesk, runtime)
    finally:
        runtime.engine.dispose()
