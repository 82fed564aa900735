"""INSERT … ON CONFLICT DO NOTHING for the two dialects we run on, so concurrent workers
never trip over each other's rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
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


def insert_many(
    session: Session, statement: sa.Insert, rows: Sequence[dict[str, Any]], conflict: str = ""
) -> None:
    """`statement` for every row (all with the same keys). On PostgreSQL one
    `INSERT … SELECT * FROM unnest(<an array per column>) <conflict>` instead: one statement
    whatever the number of rows, where an executemany costs the server and psycopg a
    statement per row. `conflict` is the statement's ON CONFLICT clause in SQL."""
    if not rows:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        session.execute(statement, list(rows))
        return
    table = statement.table
    assert isinstance(table, sa.Table)
    names = list(rows[0])
    arrays = ", ".join(f"%s::{_array_type(table.c[name], bind.dialect)}" for name in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) {conflict}"
    columns = tuple([row[name] for row in rows] for name in names)
    session.connection().exec_driver_sql(sql, columns)


def _array_type(column: sa.Column[Any], dialect: sa.Dialect) -> str:
    """The column's type as an array, without lengths: a cast to varchar(n) would cut a
    longer value where the INSERT refuses it."""
    return re.sub(r"\(\d+\)", "", column.type.compile(dialect=dialect)) + "[]"
