"""Indexes built and dropped by migrations without holding off writers on PostgreSQL.

A plain CREATE INDEX locks its table against every INSERT, UPDATE and DELETE while it scans
the table, and DROP INDEX locks out readers too; on the delivery table that stops webhooks
for as long as the scan of millions of rows takes. On PostgreSQL these run CONCURRENTLY,
outside the migration's transaction (alembic's autocommit block, which commits what the
migrations before did first). A concurrent build that failed leaves an invalid index of
that name behind; it is dropped and built again, so running the migration again finishes
the job. SQLite builds the index in the migration's transaction, as before: it has no
concurrent build, and its writers wait on one lock anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create(name: str, table: str, columns: list[str], where: str | None = None) -> None:
    """`CREATE INDEX name ON table (columns) [WHERE where]`, concurrently on PostgreSQL."""
    condition = sa.text(where) if where is not None else None
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(name, table, columns, sqlite_where=condition)
        return
    with op.get_context().autocommit_block():
        if _invalid(name):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
        op.create_index(
            name,
            table,
            columns,
            postgresql_where=condition,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def drop(name: str, table: str) -> None:
    """`DROP INDEX name`, concurrently on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)


def _invalid(name: str) -> bool:
    """An index of this name left invalid by a concurrent build that did not finish."""
    return bool(
        op.get_bind()
        .execute(
            sa.text("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
            {"name": name},
        )
        .scalar()
    )
