"""Alembic environment: runs against the engine the caller hands over (voice_router.platform.db)."""

from alembic import context
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
