"""Alembic environment: runs against the engine the caller hands over (voice_router.platform.db).

Alembic owns the transaction (one for the whole upgrade on PostgreSQL, one per migration on
SQLite), so a migration can step out of it: an index built CONCURRENTLY cannot run inside
one (voice_router/platform/online_index.py)."""

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite changes a table by copying it and dropping the old one (batch mode); with
    foreign keys enforced, dropping `problem` while pain points point at it fails, and the
    upgrade stopped there (fault audit: any database of schema 0008 or older holding a pain
    point). Alembic's remedy: enforcement off for the run (the pragma is ignored inside a
    transaction, so it goes on the driver's connection), then every key checked."""
    driver = connection.connection.driver_connection
    assert driver is not None
    if not on:
        driver.execute("PRAGMA foreign_keys=OFF")
        return
    broken = driver.execute("PRAGMA foreign_key_check").fetchall()
    driver.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"the upgrade left rows whose references are broken: {broken[:5]}")


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
