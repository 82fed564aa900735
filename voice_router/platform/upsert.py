"""Writes and reads of many rows for the two dialects we run on: INSERT … ON CONFLICT DO
NOTHING, so concurrent workers never trip over each other's rows, and the set-based
statements a processing batch is made of (on PostgreSQL one statement per table whatever
the number of rows: COPY, unnest, = ANY; elsewhere executemany and IN)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


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


def insert_missing(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of `rows` (all with the same keys; the columns' Python
    defaults fill the rest). On PostgreSQL one `insert_many` statement, elsewhere multi-row
    INSERTs of 500 rows: compiling a 500-row VALUES list took SQLAlchemy ~30 ms a time, and
    the first batches of a drain create thousands of customers this way."""
    if rows and session.get_bind().dialect.name == "postgresql":
        table = model.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
        defaults = _python_defaults(table, rows[0])
        filled = [{**defaults, **row} for row in rows] if defaults else rows
        insert_many(session, sa.insert(table), filled, "ON CONFLICT DO NOTHING")
        return
    for start in range(0, len(rows), 500):
        statement = dialect(session).insert(model).values(rows[start : start + 500])
        session.execute(statement.on_conflict_do_nothing())


def _python_defaults(table: sa.Table, given: dict[str, Any]) -> dict[str, Any]:
    """The values SQLAlchemy's INSERT would fill in for the columns `given` leaves out: their
    Python-side defaults (a callable one called once for all the rows); server defaults are
    left to the database."""
    found: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if column.name in given or default is None:
            continue
        if getattr(default, "is_scalar", False):
            found[column.name] = default.arg  # type: ignore[attr-defined]  # ScalarElementColumnDefault
        elif getattr(default, "is_callable", False):
            found[column.name] = default.arg(None)  # type: ignore[attr-defined]  # wrapped to take a context
        else:
            raise ValueError(f"{table.name}.{column.name}: a default insert_missing cannot fill")
    return found


def dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def insert_many(
    session: Session, statement: sa.Insert, rows: Sequence[dict[str, Any]], conflict: str = ""
) -> None:
    """`statement` for every row (all with the same keys). On PostgreSQL one statement
    whatever the number of rows, where an executemany costs the server and psycopg a
    statement per row: `COPY … FROM STDIN` when there is no `conflict` (psycopg writes its
    rows in C), else `INSERT … SELECT * FROM unnest(<an array per column>) <conflict>`.
    `conflict` is the statement's ON CONFLICT clause in SQL."""
    if not rows:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        session.execute(statement, list(rows))
        return
    table = statement.table
    assert isinstance(table, sa.Table)
    names = list(rows[0])
    if not conflict:
        insert_rows(session, table, names, [[row[name] for name in names] for row in rows])
        return
    arrays, params = _unnest(table, bind.dialect, {n: [row[n] for row in rows] for n in names})
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) {conflict}"
    session.connection().exec_driver_sql(sql, params)


def insert_rows(
    session: Session, table: sa.Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT of `rows`, each the values of the `names` columns in that order: on PostgreSQL
    one `COPY … FROM STDIN` (psycopg writes its rows in C), elsewhere an executemany. Rows
    as sequences spare a batch a dict per new pain point, made and then taken apart again."""
    if not rows:
        return
    connection = session.connection()
    if session.get_bind().dialect.name != "postgresql":
        connection.execute(sa.insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # psycopg's
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _unnest(
    table: sa.Table, dialect: sa.Dialect, columns: dict[str, list[Any]]
) -> tuple[str, tuple[Any, ...]]:
    """What `unnest(…)` takes for these columns' values: `%s::<type>[], …` in SQL, and the
    arrays to bind in that order (`_array`)."""
    casts = ", ".join(f"%s::{_array_type(table.c[name], dialect)}" for name in columns)
    return casts, tuple(_array(table.c[name], values) for name, values in columns.items())


def _array_type(column: Any, dialect: sa.Dialect) -> str:
    """The column's type as an array, without lengths: a cast to varchar(n) would cut a
    longer value where the INSERT refuses it."""
    return re.sub(r"\(\d+\)", "", column.type.compile(dialect=dialect)) + "[]"


def _array(column: Any, values: list[Any]) -> Any:
    """One column's values as the parameter of its `%s::<type>[]`. Whole numbers, strings,
    dates and times go as an array literal made here: psycopg adapts a list value by value
    in Python (0.7 µs a string, 0.9 µs a date, 3.5 µs a time, which it also quotes), and a
    batch sends some forty arrays of up to a thousand values. Anything else (a None among
    them, amounts) goes as the list, for psycopg."""
    kind = _python_type(column)
    if kind is None or (values and set(map(type, values)) != {kind}):
        return values
    if kind is str:
        return text_array(values)
    if kind is int:
        return "{" + ",".join(map(str, values)) + "}"
    if kind is datetime and None in set(map(_ZONE, values)):
        return values  # a time without its zone: psycopg's (SQLAlchemy's refusal, in `among`)
    return "{" + ",".join([v.isoformat() for v in values]) + "}"  # ISO 8601: nothing to quote


_ZONE = attrgetter("tzinfo")


def text_array(values: Sequence[str]) -> str:
    """Strings as a PostgreSQL array literal, for a `%s::text[]` (or varchar) parameter."""
    quoted = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return '{"' + '","'.join(quoted) + '"}' if quoted else "{}"


def _python_type(column: Any) -> type | None:
    """int, str, datetime or date for a column of whole numbers, text, times with their zone
    or days, else None (a time without its zone would take the session's from the literal)."""
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # SQLModel's AutoString, our UTCDateTime
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime) and not kind.timezone:
        return None
    for sql_type, python_type in _LITERAL_TYPES:
        if isinstance(kind, sql_type):
            return python_type
    return None


_LITERAL_TYPES: tuple[tuple[type, type], ...] = (
    (sa.Integer, int),
    (sa.String, str),
    (sa.DateTime, datetime),
    (sa.Date, date),
)


class _ArrayLiteral(sa.types.UserDefinedType[str]):
    """A parameter that holds an array literal (`_array`), sent as `%s::<type>[]`: PostgreSQL
    reads the literal as that type when it parses the statement, so the planner sees the
    array's values as it would a list's."""

    cache_ok = True
    render_bind_cast = True

    def __init__(self, array_type: str) -> None:
        self.array_type = array_type

    def get_col_spec(self, **_: Any) -> str:
        return self.array_type


def among(session: Session, column: Any, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`column IN values`: on PostgreSQL `column = ANY(<one array>)`, one parameter (an
    array literal made here, `_array`, or a list for psycopg), where an IN list is a
    parameter per value to compile, split and send (and a new statement text for every
    length)."""
    if session.get_bind().dialect.name == "postgresql":
        given = _array(column, list(values))
        array_of: Any = postgresql.ARRAY(column.type)
        if isinstance(given, str):
            array_of = _ArrayLiteral(_array_type(column, session.get_bind().dialect))
        array = sa.bindparam(None, given, type_=array_of)
        condition: sa.ColumnElement[bool] = column == sa.any_(array)
    else:
        condition = column.in_(list(values))
    return condition


def update_many(
    session: Session, table: sa.Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """UPDATE the row each dict names by its `keys` columns (a unique key) to the dict's other
    values (every dict with the same names). On PostgreSQL one `UPDATE … FROM unnest(<an
    array per column>)` whatever the number of rows; elsewhere an executemany."""
    if not rows:
        return
    names = [name for name in rows[0] if name not in keys]
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        statement = (
            sa.update(table)
            .where(*(table.c[k] == sa.bindparam("k_" + k) for k in keys))
            .values({name: sa.bindparam("v_" + name) for name in names})
        )
        params = [{("k_" if n in keys else "v_") + n: v for n, v in row.items()} for row in rows]
        session.connection().execute(statement, params)
        return
    columns = [*keys, *names]
    arrays, bound = _unnest(table, bind.dialect, {n: [row[n] for row in rows] for n in columns})
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    match = " AND ".join(f"{table.name}.{k} = v.{k}" for k in keys)
    sql = (
        f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({', '.join(columns)}) "
        f"WHERE {match}"
    )
    session.connection().exec_driver_sql(sql, bound)


def find_many(
    session: Session,
    table: sa.Table,
    keys: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    columns: Sequence[str] = (),
) -> list[Any]:
    """The rows (their `columns`, else all) whose `keys` columns (a unique key or its
    prefix) hold one of `values`. On PostgreSQL one probe of the key's index per value: a
    `LATERAL` subquery per row of `unnest(<an array per key column>)`, kept apart with
    `OFFSET 0` so no plan can scan the table instead. Without fresh statistics (a table
    grown since it was last analyzed) the planner took `source = 'generic'` for a few rows
    and scanned them all for the tickets: 0.6 s a query at a million pain points, 7 ms
    this way. Elsewhere row-value INs of 500."""
    if not values:
        return []
    names = list(columns) or [column.name for column in table.c]
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        found: list[Any] = []
        key = sa.tuple_(*(table.c[k] for k in keys))
        for start in range(0, len(values), 500):
            statement = sa.select(*(table.c[n] for n in names)).where(
                key.in_(values[start : start + 500])
            )
            found += session.execute(statement).all()
        return found
    probes, params = _probes(table, bind.dialect, keys, values, "*")
    sql = f"SELECT {', '.join('found.' + n for n in names)} FROM {probes}"
    return driver_rows(session, sql, params)


def _probes(
    table: sa.Table,
    dialect: sa.Dialect,
    keys: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    selected: str,
) -> tuple[str, tuple[Any, ...]]:
    """`unnest(<an array per key column>) AS v(<keys>) CROSS JOIN LATERAL (SELECT <selected>
    FROM <table> WHERE <its keys match v's> OFFSET 0) AS found`, and what it binds: one probe
    of the key's index per value (`find_many`, `delete_many`)."""
    by_key = {k: [value[i] for value in values] for i, k in enumerate(keys)}
    arrays, params = _unnest(table, dialect, by_key)
    match = " AND ".join(f"{table.name}.{k} = v.{k}" for k in keys)
    sql = (
        f"unnest({arrays}) AS v({', '.join(keys)}) CROSS JOIN LATERAL "
        f"(SELECT {selected} FROM {table.name} WHERE {match} OFFSET 0) AS found"
    )
    return sql, params


def delete_many(
    session: Session, table: sa.Table, keys: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> None:
    """DELETE the rows whose `keys` columns (a unique key) hold one of `values`. On PostgreSQL
    one statement: the rows are found as `find_many` finds them, a probe of the key's index
    per value, and deleted by their row address (`ctid`), so no plan can scan the table
    instead. A batch that removes tags empties thousands of tallies at once; a DELETE each
    made removing 20,000 tags take four times as long as adding them on PostgreSQL
    (`bench/removals.py`). Elsewhere row-value INs of 500."""
    if not values:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        key = sa.tuple_(*(table.c[k] for k in keys))
        for start in range(0, len(values), 500):
            session.execute(sa.delete(table).where(key.in_(values[start : start + 500])))
        return
    probes, params = _probes(table, bind.dialect, keys, values, "ctid")
    sql = f"DELETE FROM {table.name} WHERE ctid = ANY(ARRAY(SELECT found.ctid FROM {probes}))"
    session.connection().exec_driver_sql(sql, params)


def add_many(
    session: Session,
    table: sa.Table,
    keys: Sequence[str],
    column: str,
    steps: dict[tuple[Any, ...], int],
) -> list[tuple[Any, ...]]:
    """Add each step to `column` of the row its key names (`keys` columns, a unique key), a
    row with the step itself where there is none; returns (*key, new value) of every row.
    One `INSERT … ON CONFLICT DO UPDATE … RETURNING`, on PostgreSQL from unnest: where
    reading the rows first, then a COPY of the new ones and an UPDATE of the others probed
    the key's index three times a row, this probes it once (the tallies of a batch of 1,000
    pain points: 40 µs a pain point of PostgreSQL's time, docs/benchmarks.md section 2)."""
    if not steps:
        return []
    ordered = sorted(steps.items())  # one order for every writer
    names = [*keys, column]
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        insert = sqlite.insert(table)
        statement = insert.on_conflict_do_update(
            index_elements=list(keys), set_={column: table.c[column] + insert.excluded[column]}
        ).returning(*(table.c[name] for name in names))
        rows = [{**dict(zip(keys, key, strict=True)), column: step} for key, step in ordered]
        return [tuple(row) for row in session.connection().execute(statement, rows)]
    values = {name: [key[i] for key, _ in ordered] for i, name in enumerate(keys)}
    values[column] = [step for _, step in ordered]
    arrays, params = _unnest(table, bind.dialect, values)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        f"{column} = {table.name}.{column} + excluded.{column} RETURNING {', '.join(names)}"
    )
    return driver_rows(session, sql, params)


def driver_rows(session: Session, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The rows of a statement in SQL as the driver's own tuples. Its values are the
    driver's either way (SQLAlchemy converts only the columns of a statement it built), and
    a Row around each, read row by row, cost some 1.2 µs a row: a batch reads back a few
    thousand (its tallies' new values). Executed through SQLAlchemy all the same, so a
    failure is raised as its DBAPIError (workers.outage tells an outage by that)."""
    result = session.connection().exec_driver_sql(sql, params)
    try:
        return cast(list[tuple[Any, ...]], result.cursor.fetchall())  # psycopg's: a list
    finally:
        result.close()
