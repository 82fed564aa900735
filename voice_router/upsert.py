"""INSERT … ON CONFLICT DO NOTHING for the two dialects we run on, so concurrent workers
never trip over each other's rows."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)


def insert_ignore(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert the row unless it clashes with a unique key; True when it was inserted."""
    table = model.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    statement = (
        dialect(session)
        .insert(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first() is not None


def insert_ignore_returning(session: Session, model: type[M], values: dict[str, Any]) -> M | None:
    """Insert the row unless it clashes with a unique key; the new ORM object, else None
    (one statement where an insert and a select would be two)."""
    statement = (
        dialect(session).insert(model).values(**values).on_conflict_do_nothing().returning(model)
    )
    return session.scalars(statement).first()


def insert_missing(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT … ON CONFLICT DO NOTHING (in chunks of 500 rows)."""
    for start in range(0, len(rows), 500):
        statement = dialect(session).insert(model).values(rows[start : start + 500])
        session.execute(statement.on_conflict_do_nothing())


def dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
