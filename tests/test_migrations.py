"""The migrations build exactly the schema the table models describe, on both databases,
and the newest one can be undone and applied again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)
from voice_router.db import alembic_config, make_engine, upgrade


def _drift(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert _drift(engine) == []
    finally:
        engine.dispose()


def test_newest_migration_goes_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "-1")
        assert _drift(engine) != []
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()
