"""Whether the configured database can serve this release: reachable, and its schema at the
migration head this code ships.

SQLite (the embedded database) migrates itself whenever a process opens it. PostgreSQL is
migrated once per release with `voice-router db upgrade`: `serve`, `worker`, every other
command and `create_app()` refuse a schema that is behind the code (every query naming a
newer column would fail), `/readyz` answers 503 for it, and the Kubernetes init container
(deploy/wait_for_migrations.py) waits for it. A schema at a revision this code does not know
was migrated by a newer release: it is used, so old processes are not held back during a
rollout.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from voice_router.platform.db import MIGRATIONS, quiet_alembic, upgrade
from voice_router.platform.errors import DatabaseNotReady

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

UPGRADE = "run `voice-router db upgrade`"


@functools.cache
def _scripts() -> ScriptDirectory:
    quiet_alembic()
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def heads() -> frozenset[str]:
    return frozenset(_scripts().get_heads())


@functools.cache
def _declared_heads() -> frozenset[str]:
    """The heads the migration files declare, read as text: a database at head (every start
    of a worker or a web process) is known to be without importing Alembic and every
    migration module, 0.1-0.3 s of a worker's start. Anything else asks Alembic."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(re.findall(r'^revision = "([^"]+)"', text, re.M))
        parents.update(re.findall(r'^down_revision = "([^"]+)"', text, re.M))
    return frozenset(revisions - parents)


def _known(revision: str) -> bool:
    quiet_alembic()
    from alembic.util import CommandError

    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: never migrated

    @property
    def at_head(self) -> bool:
        return self.current in _declared_heads() or self.current in heads()

    @property
    def newer(self) -> bool:
        """Migrated by a release newer than this code (a revision it does not know)."""
        if self.current is None or self.current in _declared_heads():  # known: no Alembic
            return False
        return not _known(self.current)

    @property
    def usable(self) -> bool:
        return self.at_head or self.newer

    def describe(self) -> str:
        wanted = ", ".join(sorted(heads()))
        if self.newer:
            return (
                f"database schema at {self.current}, newer than this release ({wanted}): run "
                "the newer release, or restore the backup taken before upgrading"
            )
        if self.current is None:
            return f"database schema not created (this release needs {wanted}): {UPGRADE}"
        return f"database schema at {self.current}, this release needs {wanted}: {UPGRADE}"


def read_state(connection: Connection) -> SchemaState:
    """The schema's revision, read on `connection` (a missing version table: never migrated)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return SchemaState(None)
    found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return SchemaState(next(iter(found), None))


def schema_state(engine: Engine) -> SchemaState:
    with engine.connect() as connection:
        return read_state(connection)


def require_current(engine: Engine) -> None:
    """Make sure the database serves this release: SQLite is migrated (as every process
    does), PostgreSQL must be reachable and at this code's head (or newer). Otherwise
    DatabaseNotReady, saying what to do."""
    if engine.dialect.name == "sqlite":
        folder = sqlite_folder(engine)
        if folder is not None and not folder.is_dir():
            raise DatabaseNotReady(f"database_url: the folder {folder} does not exist")
    try:
        state = schema_state(engine)
        if engine.dialect.name == "sqlite":
            if state.newer:  # a rollback: SQLite cannot be migrated down, nor run as it is
                raise DatabaseNotReady(state.describe())
            keep_current(engine, state)  # the embedded database keeps itself current
            return
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise DatabaseNotReady(unreachable(engine, exc)) from None
    if not state.usable:
        raise DatabaseNotReady(state.describe())


def keep_current(engine: Engine, state: SchemaState | None = None) -> None:
    """Migrate the embedded database to this code's head, unless it is there already
    (`SchemaState.at_head`: one query, compared with the heads the migration files declare),
    so a database at head (every process start but the first after an upgrade, and every
    app a test builds) is left without importing Alembic and loading every migration."""
    if not (state or schema_state(engine)).at_head:
        upgrade(engine)


def sqlite_folder(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).resolve().parent


_LIBPQ_PREFIX = re.compile(
    r'^(connection failed: )?connection to server at "[^"]*", port \d+ failed: '
)


def unreachable(engine: Engine, exc: BaseException) -> str:
    """One line: which database (never its password) and why it cannot be used."""
    from voice_router.platform.masking import scrub_text

    url = engine.url
    if engine.dialect.name == "sqlite":
        where = url.database or ":memory:"
    else:
        where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    original = getattr(exc, "orig", None) or exc
    said = (str(original).strip().splitlines() or [type(original).__name__])[0]
    said = re.sub(r"FATAL:\s+", "", _LIBPQ_PREFIX.sub("", said))
    return f"database_url: cannot use {where} ({scrub_text(said, limit=300)})"
