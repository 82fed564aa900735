"""Which helpdesk folder serves which source `kind`: the one table the core, the settings,
the demo and the contract test read. Adding a helpdesk is one line here and one folder
(integrations/README.md)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from integrations.adapter import Adapter
from integrations.writeback import WritebackClient

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


# Modules whose import has finished, as import_module returned them. A module another
# thread is still importing is in sys.modules already, without its ADAPTER yet:
# import_module waits for that import to end, a bare sys.modules lookup does not.
_complete: dict[str, ModuleType] = {}


def _imported(name: str) -> ModuleType:
    """`importlib.import_module(name)`, without its lock once the import has finished (looked
    up several times per webhook)."""
    module = sys.modules.get(name)
    if module is None or module is not _complete.get(name):
        module = _complete[name] = importlib.import_module(name)
    return module


def helpdesk(kind: str) -> Adapter:
    """The adapter for `kind`; KeyError for a kind the table does not hold."""
    found: Adapter = _imported(HELPDESKS[kind]).ADAPTER
    if found.kind != kind:
        raise LookupError(f"{HELPDESKS[kind]}.ADAPTER serves {found.kind!r}, not {kind!r}")
    return found


def adapter(kind: str) -> Adapter | ModuleType:
    """The helpdesk adapter for `kind`, or Jira's webhook module for `jira`."""
    if kind == "jira":
        return _imported(JIRA_WEBHOOK)
    return helpdesk(kind)


def app_credential_titles() -> list[str]:
    """The helpdesks whose write-back takes OAuth app credentials (`app_id`, `app_secret`)."""
    titles = []
    for kind in kinds():
        found = helpdesk(kind)
        if found.writeback is not None and found.writeback.app_credentials:
            titles.append(found.title)
    return titles


def make_client(
    kind: str,
    api_base: str,
    api_token: str,
    timeout: float = 10.0,
    *,
    app_id: str = "",
    app_secret: str = "",
) -> WritebackClient:
    """The write-back client of the helpdesk registered as `kind`; `api_base` may be empty
    where the kind has a default. Close it when done (it is a context manager too).

    `app_id` and `app_secret` are OAuth2 client credentials, for a client that takes them
    (`app_credentials`, Help Scout's): it then fetches its own access tokens and `api_token`
    is not needed. Raises ValueError for a kind without write-back (`generic`), for missing
    or half-given credentials, or a bad base URL.
    """
    client_class = helpdesk(kind).writeback if kind in kinds() else None
    if client_class is None:
        raise ValueError(f"no write-back client for kind {kind!r}")
    if app_id.strip() or app_secret.strip():
        if not client_class.app_credentials:
            titles = " and ".join(app_credential_titles())
            raise ValueError(f"{kind}: app_id and app_secret are for {titles} sources only")
        if not (app_id.strip() and app_secret.strip()):
            raise ValueError(f"{kind}: app_id and app_secret go together")
        return client_class(  # type: ignore[call-arg]  # app_credentials: takes app_id/secret
            api_base, "", timeout=timeout, app_id=app_id, app_secret=app_secret
        )
    if not api_token.strip():
        raise ValueError(f"{kind}: api_token is empty, so write-back is off for this source")
    return client_class(api_base, api_token, timeout=timeout)
