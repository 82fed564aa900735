"""Taking the spool's deliveries into the delivery table (SQLite; intake/spool.py).

Every drain (processing.drain) starts here, so `serve`'s runner, rq workers and `forget`
take the spool in as soon as they can write. One transaction per file: its rows are inserted
in one multi-row INSERT with `ON CONFLICT DO NOTHING` (a delivery already stored — a
provider's retry that got through, or this file taken in before a crash kept it from being
removed — is dropped, so it counts once), committed, and only then the file is removed. A
crash at any point leaves the file, taken in again later with the same outcome; two
processes taking in the same file store it once. A file that cannot be read, or whose rows
the database refuses, is set aside (`corrupt/`) and logged; the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.intake import spool
from voice_router.intake.statements import MAX_GROUP, Row, insert_plan, sqlite_group
from voice_router.platform.db import session_scope

log = logging.getLogger(__name__)

FILES_PER_PASS = 200


@dataclass
class TakenIn:
    files: int = 0
    stored: int = 0
    duplicates: int = 0
    set_aside: int = 0


def take_in(engine: Engine) -> TakenIn:
    """The spool's files into the table, oldest first (at most FILES_PER_PASS of them: the
    next drain takes the rest). Nothing to do off SQLite or with no spool. The database's
    own errors (locked, I/O) propagate, leaving the files for the next try."""
    taken = TakenIn()
    directory = spool.of_engine(engine)
    if directory is None:
        return taken
    for path in spool.waiting(directory)[:FILES_PER_PASS]:
        if _took_in(path, lambda rows: _insert(engine, rows), taken):
            spool.remove(path)
    _logged(taken)
    return taken


def take_in_within(session: Session, directory: Path) -> list[Path]:
    """Every file of the spool into the table in the session's transaction (`forget`, which
    holds the write lock meanwhile), each file in a savepoint of its own; the files taken in,
    for the caller to remove once it committed."""
    taken = TakenIn()
    kept = []

    def within(rows: list[Row]) -> int:
        with session.begin_nested():
            return insert(session, rows)

    for path in spool.waiting(directory):
        if _took_in(path, within, taken):
            kept.append(path)
    _logged(taken)
    return kept


def _took_in(path: Path, store: Callable[[list[Row]], int], taken: TakenIn) -> bool:
    """One file's rows through `store`; False when it was gone or set aside. The database's
    own errors (locked, I/O) propagate."""
    try:
        rows = spool.read(path)
    except FileNotFoundError:
        return False  # another process took it in meanwhile
    except spool.Corrupt as exc:
        _set_aside(path, str(exc), taken)
        return False
    try:
        stored = store(rows)
    except sa.exc.StatementError as exc:
        if isinstance(exc, sa.exc.OperationalError):
            raise  # the database, not the file
        _set_aside(path, f"refused by the database: {type(exc.orig).__name__}", taken)
        return False
    taken.files += 1
    taken.stored += stored
    taken.duplicates += len(rows) - stored
    return True


def _logged(taken: TakenIn) -> None:
    if taken.files:
        log.info(
            "intake.spool_taken_in",
            extra={"files": taken.files, "stored": taken.stored, "duplicates": taken.duplicates},
        )


def _insert(engine: Engine, rows: list[Row]) -> int:
    """The rows in one transaction; how many were new."""
    with session_scope(engine) as session:
        return insert(session, rows)


def insert(session: Session, rows: Sequence[Row]) -> int:
    """The rows in the session's transaction, one multi-row INSERT … ON CONFLICT DO NOTHING
    per MAX_GROUP of them (a spool file holds one group); how many were new."""
    plan = insert_plan(session.get_bind().dialect)
    connection = session.connection()
    stored = 0
    for start in range(0, len(rows), MAX_GROUP):
        group = rows[start : start + MAX_GROUP]
        stored += len(connection.exec_driver_sql(*sqlite_group(plan, group)).all())
    return stored


def _set_aside(path: Path, reason: str, taken: TakenIn) -> None:
    try:
        kept = spool.set_aside(path)
    except FileNotFoundError:
        return  # another process set it aside meanwhile
    taken.set_aside += 1
    log.error(
        "intake.spool_corrupt",
        extra={"file": path.name, "kept_as": str(kept), "reason": reason},
    )
