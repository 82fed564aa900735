"""INSERT … ON CONFLICT DO NOTHING for the two dialects we run on, so concurrent workers
never trip over each other's rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_ignore(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert the row unless it clashes with a unique key; True when it was inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first() is not None
