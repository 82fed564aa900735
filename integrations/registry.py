"""Which helpdesk folder serves which source `kind`: the one table the core, the settings,
the demo and the contract test read. Adding a helpdesk is one line here and one folder
(integrations/README.md)."""

from __future__ import annotations

import importlib
from types import ModuleType

from integrations.adapter import Adapter

# kind -> the package whose `ADAPTER` serves it
HELPDESKS: dict[str, str] = {
    "helpscout": "integrations.helpscout",
    "zendesk": "integrations.zendesk",
    "intercom": "integrations.intercom",
    "freshdesk": "integrations.freshdesk",
    "front": "integrations.front",
    "generic": "integrations.generic",
}
JIRA_WEBHOOK = "integrations.jira.webhook"


def kinds() -> tuple[str, ...]:
    """Every helpdesk kind a source may name, in table order."""
    return tuple(HELPDESKS)


def helpdesk(kind: str) -> Adapter:
    """The adapter for `kind`; KeyError for a kind the table does not hold."""
    package = importlib.import_module(HELPDESKS[kind])
    found: Adapter = package.ADAPTER
    if found.kind != kind:
        raise LookupError(f"{HELPDESKS[kind]}.ADAPTER serves {found.kind!r}, not {kind!r}")
    return found


def adapter(kind: str) -> Adapter | ModuleType:
    """The helpdesk adapter for `kind`, or Jira's webhook module for `jira`."""
    if kind == "jira":
        return importlib.import_module(JIRA_WEBHOOK)
    return helpdesk(kind)


def app_credential_titles() -> list[str]:
    """The helpdesks whose write-back takes OAuth app credentials (`app_id`, `app_secret`)."""
    titles = []
    for kind in kinds():
        found = helpdesk(kind)
        if found.writeback is not None and found.writeback.app_credentials:
            titles.append(found.title)
    return titles
