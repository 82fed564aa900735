"""Alembic environment: runs against the engine the caller hands over (voice_router.platform.db).

Alembic owns the transaction (one for the whole upgrade on PostgreSQL, one per migration on
SQLite), so a migration can step out of it: an index built CONCURRENTLY cannot run inside
one (voice_router/platform/online_index.py)."""

from alembic import context
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
