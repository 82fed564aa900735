"""docs/configuration.md lists every setting, its default and its variable, and
docs/privacy.md every text column of every table, so neither can drift from the code."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from voice_router import models  # noqa: F401  (registers every table)
from voice_router.platform.settings import JiraSettings, NotifySettings, Settings, SourceSettings

DOC = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()


def rows(section: str) -> dict[str, list[str]]:
    body = DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([a-z_]+)`", cells[0]) if cells else None
        if match:
            found[match.group(1)] = cells
    return found


def shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if value == "":
        return '""'
    return str(value)


@pytest.mark.parametrize(
    ("section", "cls", "prefix"),
    [
        ("Top level", Settings, "VOICE_ROUTER_"),
        ("`[jira]`", JiraSettings, "VOICE_ROUTER_JIRA_"),
        ("`[notify]`", NotifySettings, "VOICE_ROUTER_NOTIFY_"),
        ("`[sources.<name>]`", SourceSettings, None),
    ],
)
def test_every_setting_is_documented_with_default_and_variable(section, cls, prefix):
    documented = rows(section)
    scalar = [f for f in fields(cls) if f.name not in ("sources", "jira", "notify", "name")]
    assert set(documented) == {f.name for f in scalar}
    for f in scalar:
        cells = documented[f.name]
        default = cells[1].strip("`")
        if f.default is MISSING:
            assert default == "required"
        else:
            assert default == shown(f.default), f.name
        if prefix:
            assert cells[2] == f"`{prefix}{f.name.upper()}`"


def test_privacy_lists_every_text_column_of_every_table():
    """Where personal data lives: a column added later must be placed in the table too."""
    doc = (Path(__file__).parents[1] / "docs" / "privacy.md").read_text()
    section = doc.split("## Where personal data lives", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", section))
    text_columns = {
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(getattr(column.type, "impl_instance", column.type), sa.String)
    }
    assert sorted(text_columns - listed) == []
