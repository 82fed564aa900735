"""The sweep of `voice-router forget`: every text column of every table (a table added later
too) looked through for the person, the database choosing the rows that hold the pieces of
their address or name (`Mentions.needles`), the patterns deciding on those. Staff-written
text loses their full name as well as their e-mail; anything else only the e-mail, since a
name there may be a namesake's (docs/privacy.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from voice_router.models import Outbound
from voice_router.problems.mentions import Mentions, cut_out

# Staff-written text, which belongs to no customer: scrubbed of the person's full name as well
# as their e-mail. Every other text column is scrubbed of the e-mail only: a name there (a
# customer's own subject, another customer's name, an error text about their delivery) may
# be a namesake's, and the person's own rows are emptied by who they belong to.
FREE_TEXT = frozenset({"note.body", "problem.title"})
NOT_SWEPT = frozenset({"delivery.headers", "auditentry"})  # see delivery_erasure / no e-mail
Query = TypeVar("Query", bound=sa.Select[Any])


def addressed_to(session: Session, mentions: Mentions) -> list[Outbound]:
    """Messages addressed to the person (they were also an agent)."""
    rows = session.exec(mentioning(select(Outbound), [Outbound.target], mentions))
    return [row for row in rows if mentions.found(row.target, mentions.email)]


def scrubs(
    session: Session, mentions: Mentions, scrubbed: Counter[str], kept: Counter[str]
) -> Iterator[tuple[sa.Table, list[tuple[list[Any], dict[str, str]]]]]:
    """The sweep, per table (a row's key, its new values), read only: every text column of
    every table (so a table added later is covered too), the e-mail anywhere, the full name
    in staff-written text, become `[forgotten]`. A full name anywhere else is left and
    counted in `kept`: there it may be a namesake's."""
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_SWEPT:
            continue
        columns = [
            c for c in table.columns if _is_text(c) and f"{table.name}.{c.name}" not in NOT_SWEPT
        ]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        updates = []
        for row in session.execute(
            mentioning(sa.select(*keys, *columns), columns, mentions)
        ).mappings():
            values = {}
            for column in columns:
                text, name = row[column], f"{table.name}.{column.name}"
                if not text:
                    continue
                pattern = mentions.any if name in FREE_TEXT else mentions.email
                if mentions.found(text, pattern):
                    values[column.name] = text = cut_out(text, pattern)
                    scrubbed[name] += 1
                if mentions.name is not None and mentions.found(text, mentions.name):
                    kept[name] += 1
            if values:
                updates.append(([k == row[k] for k in keys], values))
        yield table, updates


def mentioning(query: Query, columns: list[Any], mentions: Mentions) -> Query:
    """`query` narrowed to rows with a needle of the address or a name in one of `columns`
    (`Mentions.needles`), so the database, not Python, looks through every row of every
    table; the patterns then decide on those few."""
    needles = mentions.needles()
    if needles is None:
        return query
    lowered = [sa.func.lower(column) for column in columns]
    return query.where(
        sa.or_(
            *(
                sa.and_(*(text.contains(piece, autoescape=True) for piece in group))
                for text in lowered
                for group in needles
            )
        )
    )


def _is_text(column: sa.Column[Any]) -> bool:
    """A string column, also behind a type decorator (SQLModel's AutoString for `str`)."""
    return isinstance(getattr(column.type, "impl_instance", column.type), sa.String)
