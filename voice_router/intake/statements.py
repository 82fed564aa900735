"""The INSERT that stores webhook deliveries (the group commit's, store.py), built once per
dialect: the delivery table's columns in a fixed order, positional parameters, and one
statement per group whatever its size."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from voice_router.intake.writers import PostgresInsert
from voice_router.models import Delivery

MAX_GROUP = 256  # deliveries written in one transaction at most
TABLE = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
COLUMNS = (
    "source",
    "kind",
    "delivery_key",
    "headers",
    "body",
    "status",
    "attempts",
    "last_error",
    "received_at",
    "next_attempt_at",
)
Row = dict[str, Any]


@dataclass(frozen=True)
class InsertPlan:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id`, compiled once per dialect by
    SQLAlchemy with positional parameters (the cheapest for the driver to bind), and the
    column types' own bind processors, to run on the DBAPI cursor."""

    sql: str
    processors: tuple[Callable[[Any], Any] | None, ...]  # one per column of COLUMNS
    postgres: bool
    many_sql: str  # PostgreSQL: every row of a group in one statement (`_unnest_insert`)
    fast: PostgresInsert  # PostgreSQL: the same on libpq (writers.py)

    def parameters(self, row: Row) -> tuple[Any, ...]:
        return tuple(
            row[name] if process is None else process(row[name])
            for name, process in zip(COLUMNS, self.processors, strict=True)
        )


_plans: dict[str, InsertPlan] = {}


def insert_plan(dialect: Dialect) -> InsertPlan:
    plan = _plans.get(dialect.name)
    if plan is None:
        module = postgresql if dialect.name == "postgresql" else sqlite
        statement = module.insert(TABLE).on_conflict_do_nothing().returning(TABLE.c.id)
        positional = (
            dialect if dialect.positional else type(dialect)(paramstyle="format")  # type: ignore[call-arg]  # a DefaultDialect
        )
        compiled = statement.compile(dialect=positional, column_keys=list(COLUMNS))
        assert tuple(compiled.positiontup or ()) == COLUMNS, compiled.positiontup
        plan = InsertPlan(
            sql=compiled.string,
            processors=tuple(
                TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in COLUMNS
            ),
            postgres=dialect.name == "postgresql",
            many_sql=_unnest_insert(dialect) if dialect.name == "postgresql" else "",
            fast=PostgresInsert(TABLE, COLUMNS),
        )
        _plans[dialect.name] = plan
    return plan


def _unnest_insert(dialect: Dialect) -> str:
    """`INSERT … SELECT * FROM unnest(<one array per column>) ON CONFLICT DO NOTHING
    RETURNING id, source, delivery_key`: one statement whatever the group's size (so
    PostgreSQL prepares it once), far less work for psycopg than a statement per row. The
    arrays are cast to the columns' types without their lengths: a cast to varchar(n) would
    cut a longer value where the INSERT refuses it."""
    types = [
        re.sub(r"\(\d+\)", "", TABLE.c[name].type.compile(dialect=dialect)) + "[]"
        for name in COLUMNS
    ]
    arrays = ", ".join(f"%s::{array_type}" for array_type in types)
    return (
        f"INSERT INTO {TABLE.name} ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT DO NOTHING RETURNING id, source, delivery_key"
    )


@lru_cache(maxsize=MAX_GROUP)
def sqlite_many_sql(count: int) -> str:
    """`INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING RETURNING id, source,
    delivery_key` for `count` rows (MAX_GROUP times the columns stays under SQLite's limit of
    32,766 parameters)."""
    row = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return (
        f"INSERT INTO {TABLE.name} ({', '.join(COLUMNS)}) VALUES {', '.join([row] * count)} "
        "ON CONFLICT DO NOTHING RETURNING id, source, delivery_key"
    )


def sqlite_group(plan: InsertPlan, rows: Sequence[Row]) -> tuple[str, tuple[Any, ...]]:
    """SQLite: the one INSERT of `rows` (at most MAX_GROUP) and its parameters, flat."""
    return sqlite_many_sql(len(rows)), tuple(v for row in rows for v in plan.parameters(row))


def by_key(rows: Sequence[Row], returned: Sequence[Any]) -> list[Any]:
    """Each row's (id,), or None when it was stored already; the database returns the rows
    it inserted in no set order. A key twice in one group: its first row was inserted, the
    next one is a duplicate."""
    stored = {(source, key): (new_id,) for new_id, source, key in returned}
    return [stored.pop((row["source"], row["delivery_key"]), None) for row in rows]
