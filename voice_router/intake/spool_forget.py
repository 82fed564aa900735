"""`voice-router forget` and SQLite's spool (spool.py): a person's deliveries in its files.

The erasure (problems.privacy, through `forget_chain.Beside`), once it holds the write lock,
takes every waiting file into the table in its own transaction (removed after its commit),
so they are erased there with the rest. Files in `corrupt/` are never taken in: each one
that can be read is looked through as the table is (`delivery_erasure.scan_rows`): the
person's deliveries become stubs, their address is cut out of anybody else's, and the file
is rewritten (whole or not at all, spool.rewrite) *before* the commit, still under the write
lock. A crash at any point then leaves either the tables not erased (the transaction rolls
back; run forget again) or the files erased already: never the person's data in a file
after the tables say they were forgotten. Rewritten after the commit, outside the lock, a
crash in between left the files as they were, and a second forget that read a file before
the first had rewritten it wrote the first person's deliveries back. A file taken in whose
removal a crash prevents holds only deliveries the table has already (stubs, for the
person's): the next drain drops them as duplicates and removes it. A file that cannot be
read (or rewritten) is left as it is and counted (`unreadable`), for the command to say
where it is. The preview reads the waiting files as well and writes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.intake import spool
from voice_router.intake.processing.spooled import take_in_within
from voice_router.intake.statements import Row
from voice_router.problems.delivery_erasure import Stored, erased_row, scan_rows

log = logging.getLogger(__name__)


class SpoolForget:
    """forget_chain.Beside for SQLite's spool; inert off SQLite or for an in-memory file."""

    def __init__(self, engine: Engine, preview: bool = False) -> None:
        self.directory = spool.of_engine(engine)
        self.preview = preview
        self.taken: list[Path] = []
        self.files: dict[Path, list[Row]] = {}
        self.unreadable_files: list[Path] = []
        self.changed: set[Path] = set()
        self.erased: set[tuple[Path, int]] = set()
        if preview and self.directory is not None:
            self._read([*spool.waiting(self.directory), *self._corrupt()])

    @property
    def unreadable(self) -> int:
        return len(self.unreadable_files)

    @property
    def corrupt_directory(self) -> Path | None:
        return None if self.directory is None else self.directory / spool.CORRUPT

    def begin(self, session: Session) -> None:
        self._reset()
        if self.directory is None or self.preview:
            return
        self.taken = take_in_within(session, self.directory)
        self._read(self._corrupt())

    def person(self, email: str, names: set[str], known_ids: dict[str, set[str]]) -> int:
        """Their deliveries in the files read stubbed, their address cut out of others', in
        memory (`committed` writes them); how many deliveries changed that had not yet."""
        places = [(path, i) for path, rows in self.files.items() for i in range(len(rows))]
        rows = (self.files[path][i] for path, i in places)
        stored = [
            Stored(n, row["source"], row["kind"], row["headers"], row["body"])
            for n, row in enumerate(rows)
        ]
        scan = scan_rows(stored, email, names, known_ids)
        changes: dict[int, dict[str, Any] | None] = {n: None for n in scan.stubbed()}
        changes.update({n: values for n, values in scan.cuts.items() if values})
        new = 0
        for n, values in changes.items():
            path, i = places[n]
            self.files[path][i] = erased_row(self.files[path][i], values)
            self.changed.add(path)
            new += places[n] not in self.erased
            self.erased.add(places[n])
        return new

    def write(self) -> None:
        """The `corrupt/` files the person was erased from, rewritten now: in the erasure's
        transaction, before its commit."""
        for path in sorted(self.changed):
            try:
                spool.rewrite(path, self.files[path])
            except OSError as exc:  # the tables are erased all the same: say what is left
                log.error(
                    "privacy.spool_rewrite_failed", extra={"file": str(path), "error": str(exc)}
                )
                self.unreadable_files.append(path)
                continue
            log.info("privacy.spool_file_rewritten", extra={"file": str(path)})

    def committed(self) -> None:
        for path in self.taken:
            spool.remove(path)

    def _reset(self) -> None:
        self.taken, self.files, self.unreadable_files = [], {}, []
        self.changed, self.erased = set(), set()

    def _corrupt(self) -> list[Path]:
        assert self.corrupt_directory is not None
        return spool.waiting(self.corrupt_directory)

    def _read(self, paths: list[Path]) -> None:
        for path in paths:
            try:
                self.files[path] = spool.read(path)
            except FileNotFoundError:
                continue  # taken in meanwhile
            except spool.Corrupt:
                self.unreadable_files.append(path)
