"""Alembic environment: runs against the engine the caller hands over (voice_router.platform.db).

Alembic owns the transaction (one for the whole upgrade on PostgreSQL, one per migration on
SQLite), so a migration can step out of it: an index built CONCURRENTLY cannot run inside
one (voice_router/platform/online_index.py).

On SQLite foreign keys are off while migrating, as Alembic advises for batch migrations: a
batch copies a table, drops the old one and renames the copy, and with foreign keys on the
drop deleted through the rows that point at it (0009 on a database with pain points failed
with "FOREIGN KEY constraint failed"). The pragma is set outside any transaction (inside one
SQLite ignores it), checked with `PRAGMA foreign_key_check` afterwards, and turned on again
before the connection goes back to the pool."""

from alembic import context
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")  # before SQLAlchemy's BEGIN: no transaction yet
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if raw is not None:
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(
                    f"rows whose foreign keys point nowhere after migrating: {broken[:5]}"
                )
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")
