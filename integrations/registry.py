"""Which adapter module serves which source `kind`."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

KINDS = ("helpscout", "zendesk", "intercom", "freshdesk", "front", "generic")


@cache  # looked up several times per webhook; import_module takes an import lock each time
def adapter(kind: str) -> ModuleType:
    """The helpdesk adapter for `kind`, or Jira's webhook module for `jira`."""
    if kind == "jira":
        return importlib.import_module("integrations.jira.webhook")
    if kind not in KINDS:
        raise KeyError(kind)
    return importlib.import_module(f"integrations.{kind}")
