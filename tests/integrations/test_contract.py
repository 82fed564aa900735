"""Every registered helpdesk against the adapter contract (tests/integrations/contract.py):
signatures, parsing, delivery ids, hostile bodies, the write-back note on a loopback server
and a signed sample through the service into a pain point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.integrations import contract
from tests.integrations.helpdesks import DESKS, SECRET, Desk
from tests.support import inline_runtime
from voice_router.platform.settings import parse_settings

WRITEBACK_DESKS = [desk for desk in DESKS if desk.adapter.writeback is not None]


def named(check: Callable[..., Any]) -> str:
    return check.__name__.removeprefix("check_")


@pytest.mark.parametrize("check", contract.ADAPTER_CHECKS, ids=named)
@pytest.mark.parametrize("desk", DESKS, ids=lambda desk: desk.kind)
def test_adapter(desk: Desk, check: Callable[[Desk], None]) -> None:
    check(desk)


@pytest.mark.parametrize("check", contract.WRITEBACK_CHECKS, ids=named)
@pytest.mark.parametrize("desk", WRITEBACK_DESKS, ids=lambda desk: desk.kind)
def test_writeback(desk: Desk, check: Callable[..., None], httpserver: HTTPServer) -> None:
    check(desk, httpserver)


@pytest.mark.parametrize("desk", WRITEBACK_DESKS, ids=lambda desk: desk.kind)
def test_writeback_to_a_closed_port(desk: Desk) -> None:
    contract.check_a_closed_port_is_a_transient_failure(desk)


@pytest.mark.parametrize("desk", DESKS, ids=lambda desk: desk.kind)
def test_a_signed_sample_becomes_a_pain_point(desk: Desk, tmp_path: Any) -> None:
    runtime = inline_runtime(service_settings(desk.kind, tmp_path))
    try:
        contract.check_a_signed_sample_becomes_a_pain_point(desk, runtime)
    finally:
        runtime.engine.dispose()


def service_settings(kind: str, tmp_path: Any) -> Any:
    from voice_router.platform.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'contract.db'}"
    upgrade(make_engine(url))
    source = {"kind": kind, "secret": SECRET, "tag_patterns": ["pain*"]}
    return parse_settings({"database_url": url, "sources": {kind: source}}, {}, "contract")
