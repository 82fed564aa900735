"""SQLite: webhook deliveries kept in files while the database's write lock is held too long.

SQLite lets one transaction write at a time. Whatever holds the lock — the sqlite3 shell, a
backup tool, an administrator's `BEGIN IMMEDIATE`, `voice-router forget` — would otherwise
hold every webhook until it lets go (up to the 30 s busy timeout), long after the helpdesk
gave up (Zendesk waits 10 s). A group of deliveries that cannot be committed within
`store.SPOOL_AFTER_SECONDS` is written here instead, durably, and answered `202`: the rows the
delivery table would have got, in one file per group beside the database,
`<database>.spool/<time>-<random>.json`, written under a temporary name, synced, renamed
into place and the directory synced, before the answer. Processing takes them into the table
as soon as the lock is free (processing/spooled.py). A file that cannot be read back is moved
to `<database>.spool/corrupt/` and logged, never taken in and never in the way.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voice_router.intake.statements import COLUMNS, Row

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

FORMAT = "voice-router-spool/1"
SUFFIX = ".json"
CORRUPT = "corrupt"
STALE_TEMP_SECONDS = 3600  # a temporary file this old was never renamed: its writer died
_TEXT = ("source", "kind", "delivery_key", "headers", "status")
_MOMENTS = ("received_at", "next_attempt_at")


class Corrupt(Exception):
    """A spool file that is not one this module wrote."""


def directory_of(database: str) -> Path | None:
    """The spool of a SQLite database file; None for an in-memory one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.spool")


def of_engine(engine: Engine) -> Path | None:
    """The spool of the engine's database: SQLite on a file has one, nothing else does."""
    if engine.dialect.name != "sqlite":
        return None
    return directory_of(engine.url.database or "")


def write(directory: Path, rows: Sequence[Row]) -> Path:
    """The rows in a new file, on disk before this returns (OSError if they could not be)."""
    if not directory.is_dir():
        directory.mkdir(mode=0o700, exist_ok=True)
        _sync_directory(directory.parent)
    return _put(directory, f"{time.time_ns():020d}-{uuid.uuid4().hex}{SUFFIX}", rows)


def rewrite(path: Path, rows: Sequence[Row]) -> None:
    """A file's rows replaced, whole or not at all (`forget` erasing a person in `corrupt/`)."""
    _put(path.parent, path.name, rows)


def _put(directory: Path, name: str, rows: Sequence[Row]) -> Path:
    """`name` holds the rows once this returns: written to a temporary name, synced, renamed
    into place (over the old file, if any) and the directory synced."""
    temporary = directory / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    data = json.dumps({"format": FORMAT, "rows": [_encoded(row) for row in rows]}).encode()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(descriptor, "wb", closefd=False) as out:
            out.write(data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    final = directory / name
    os.rename(temporary, final)
    _sync_directory(directory)
    return final


def waiting(directory: Path) -> list[Path]:
    """The spool's files, oldest first; temporary files left by a writer that died are
    removed (they were never answered for)."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
            found.append(Path(entry.path))
        elif entry.name.endswith(".tmp") and entry.is_file():
            with suppress(FileNotFoundError):
                if time.time() - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
    return sorted(found)


@dataclass(frozen=True)
class State:
    """What an operator needs to see of a spool: files waiting to be taken in (and the age
    of the oldest), files set aside in `corrupt/`."""

    waiting: int = 0
    oldest_seconds: float = 0.0
    corrupt: int = 0


def state(directory: Path) -> State:
    """The spool's state, read only (nothing removed, unlike `waiting`)."""
    oldest = None
    waiting = _names(directory)
    for name in waiting:
        with suppress(FileNotFoundError):  # taken in meanwhile
            mtime = (directory / name).stat().st_mtime
            oldest = mtime if oldest is None else min(oldest, mtime)
    age = 0.0 if oldest is None else max(0.0, time.time() - oldest)
    return State(len(waiting), round(age, 3), len(_names(directory / CORRUPT)))


def _names(directory: Path) -> list[str]:
    try:
        entries = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [name for name in entries if name.endswith(SUFFIX) and not name.startswith(".")]


def read(path: Path) -> list[Row]:
    """The rows of a spool file; Corrupt if it is not whole and well-formed.
    FileNotFoundError when another process took it in meanwhile."""
    try:
        document = json.loads(path.read_bytes())
        if document.get("format") != FORMAT or not isinstance(document.get("rows"), list):
            raise Corrupt("not a voice-router spool file")
        return [_decoded(row) for row in document["rows"]]
    except FileNotFoundError:
        raise
    except (OSError, ValueError, TypeError, AttributeError, KeyError, binascii.Error) as exc:
        raise Corrupt(f"{type(exc).__name__}: {exc}") from exc


def set_aside(path: Path) -> Path:
    """Move a corrupt file to `corrupt/` beside it, for an operator to look at."""
    aside = path.parent / CORRUPT
    aside.mkdir(mode=0o700, exist_ok=True)
    target = aside / path.name
    os.rename(path, target)
    return target


def remove(path: Path) -> None:
    """A file whose rows are in the table now (gone already: another process took it in)."""
    with suppress(FileNotFoundError):
        os.unlink(path)


def _encoded(row: Row) -> dict[str, Any]:
    encoded = dict(row)
    encoded["body"] = base64.b64encode(row["body"]).decode("ascii")
    for name in _MOMENTS:
        encoded[name] = row[name].isoformat()
    return encoded


def _decoded(encoded: Any) -> Row:
    row = dict(encoded)
    if set(row) != set(COLUMNS):
        raise Corrupt("not the delivery table's columns")
    for name in _TEXT:
        if not isinstance(row[name], str):
            raise Corrupt(f"{name} is not a text")
    if row["last_error"] is not None and not isinstance(row["last_error"], str):
        raise Corrupt("last_error is not a text")
    if not isinstance(row["attempts"], int):
        raise Corrupt("attempts is not a number")
    row["body"] = base64.b64decode(row["body"], validate=True)
    for name in _MOMENTS:
        row[name] = datetime.fromisoformat(row[name])
        if row[name].tzinfo is None:
            raise Corrupt(f"{name} has no time zone")
    return row


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
