"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, jobs go through a
real Redis, and HTTP goes over loopback."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from integrations.helpscout.oauth import forget_tokens
from integrations.intercom.writeback import forget_admins
from jira_sandbox import JiraSandbox
from tests.jira_openapi import jira_openapi_check  # noqa: F401 - for every Jira test module
from tests.session_end import pytest_sessionfinish  # noqa: F401 - this conftest's hook
from tests.support import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    SECRETS,
    flushed_redis,
    fresh_sandbox,
    inline_runtime,
    redis_db_url,
)
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.runtime import Runtime
from voice_router.platform.settings import Settings, parse_settings

# aiosmtpd (the loopback SMTP server of the e-mail tests) logs every connection at INFO on
# "mail.log"; once a test has installed the service's JSON handler, those lines filled the
# suite's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on a loaded 2-core machine an
# example that runs a request and a transaction overruns it now and then and fails the suite
# with nothing wrong. Speed is the benchmarks' to judge, not the tests'.
hypothesis_settings.register_profile("voice-router", deadline=None)
hypothesis_settings.load_profile("voice-router")


def _compile_url_builders_once() -> None:
    """A test builds its own app and its own Jira sandbox, and werkzeug compiles two URL
    builders for every rule of each (Python source made with `ast`, then `compile`): 15 ms
    of a voice-router app's 18 and 26 ms of a sandbox's 35, on this 2-core machine. A
    builder depends only on its rule's text, parts and defaults and reaches the rule's own
    converters through the rule it is bound to, so the test processes compile each once and
    bind it to every rule that has them, as compile() binds a fresh one. The apps are the
    same; the product's processes build theirs once and are not touched."""
    from werkzeug.routing import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple[object, ...], Any] = {}

    def compiled_once(self: Rule, append_unknown: bool = True) -> Any:
        key = (
            self.rule,
            self.host,
            self.subdomain,
            repr(self._trace),
            repr(sorted((self.defaults or {}).items())),
            repr({name: type(converter) for name, converter in self._converters.items()}),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compiled_once  # type: ignore[method-assign]


_compile_url_builders_once()


def _compile_statements_once() -> None:
    """Each test makes its own engines, and SQLAlchemy keys its caches of compiled
    statements (the engine's, and each mapper's for the ORM's flushes) on the engine's
    dialect object, so every test compiled each statement it ran afresh: a sixth of the
    test processes' CPU went to it (py-spy over the suite). A compiled statement depends
    only on the statement and on what the dialect says about the database (its kind,
    driver, server version and parameter style), so the test processes key those caches on
    that instead, and the engines share one: tests/api and tests/shipping in one process
    took 156 CPU-seconds against 211. The product's processes keep one engine and its
    caches, and are not touched."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Mapper
    from sqlalchemy.util import LRUCache

    dialects: dict[tuple[object, ...], object] = {}

    class CompiledCache:
        """An LRU cache of compiled statements keyed on what the dialect says."""

        def __init__(self, size: int) -> None:
            self.compiled: LRUCache[Any, Any] = LRUCache(size)

        @staticmethod
        def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
            dialect = key[0]
            said = (
                type(dialect),
                dialect.server_version_info,
                dialect.paramstyle,
                dialect.label_length,
                dialect.max_identifier_length,
            )
            return (dialects.setdefault(said, dialect), *key[1:])

        def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
            return self.compiled.get(self._key(key), default)

        def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
            self.compiled[self._key(key)] = value

        def __len__(self) -> int:
            return len(self.compiled)

        def clear(self) -> None:
            self.compiled.clear()

    shared = CompiledCache(5000)

    def engine_cache(self: Engine) -> Any:
        return shared if self.__dict__.get("own_compiled_cache") is not None else None

    def keep_own(self: Engine, cache: Any) -> None:
        self.__dict__["own_compiled_cache"] = cache

    Engine._compiled_cache = property(engine_cache, keep_own)  # type: ignore[assignment]

    def mapper_cache(self: Mapper[Any]) -> Any:
        if "flush_compiled_cache" not in self.__dict__:
            self.__dict__["flush_compiled_cache"] = CompiledCache(self._compiled_cache_size)
        return self.__dict__["flush_compiled_cache"]

    Mapper._compiled_cache = property(mapper_cache)  # type: ignore[assignment,method-assign]


_compile_statements_once()

POSTGRES_ADMIN_URL = os.environ.get(
    "VOICE_ROUTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = redis_db_url(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (real processes, outages, timeouts: 7-50 s each) run first. In
    collection order most of them come last (tests/test_serve*, test_worker*, tests/ui), where
    one of them can end the run alone. With pyproject.toml's `--maxschedchunk`, xdist hands
    out a few tests at a time: the slow ones spread over every process, and the short ones
    fill in behind them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    name = f"vr_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_postgres(url: str) -> None:
    """Empties the tables the last test wrote to and restarts the sequences it drew from.

    A table with no pages was not written since its last TRUNCATE and is left alone:
    TRUNCATE makes new files for every table and index it names, 0.3-0.4 s a test for all
    of them on a loaded 2-core machine, against a few hundredths for the ones a test used.
    A table that has pages is truncated even if a test deleted its rows, so every test
    starts on fresh pages (test_tally_storage counts heap-only updates on them)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        written = connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' "
                "AND c.relname <> 'alembic_version' AND pg_relation_size(c.oid) > 0"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in written)
        if names:
            connection.execute(sa.text(f"TRUNCATE {names} CASCADE"))
        drawn = connection.execute(
            sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                "start_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        ).all()
        for sequence, start in drawn:  # what RESTART IDENTITY did
            connection.execute(
                sa.text("SELECT setval(:name, :start, false)"), {"name": sequence, "start": start}
            )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "voice_router.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


def source_table(**overrides: Any) -> dict[str, Any]:
    return {
        kind: {"kind": kind, "secret": secret, **overrides.get(kind, {})}
        for kind, secret in SECRETS.items()
    }


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def build(**top: Any) -> Settings:
        data: dict[str, Any] = {"database_url": database_url, "sources": source_table()}
        data.update(top)
        return parse_settings(data, {}, "test")

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = inline_runtime(settings)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from voice_router.web import create_app

    return create_app(runtime=runtime)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[JiraSandbox]:
    """A sandbox per test; options by indirect parametrisation, e.g. a lagging search index:
    `@pytest.mark.parametrize("sandbox", [{"index_lag": 5}], indirect=True)` (also
    `deployment="datacenter"`, `clock=...`). The process's cached Jira client is dropped
    before and after, so no test talks to another's sandbox."""
    options = getattr(request, "param", {})
    with fresh_sandbox(JIRA_EMAIL, JIRA_TOKEN, "PROD", **options) as running:
        yield running


@pytest.fixture
def every_log_record() -> Iterator[list[logging.LogRecord]]:
    """Every record any logger emits while the test runs, at every level."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def redis_url() -> Iterator[str]:
    yield from flushed_redis(REDIS_TEST_URL)


@pytest.fixture(autouse=True)
def fresh_writeback_caches() -> Iterator[None]:
    """Write-back clients share what they learn for the whole process (Intercom's admin per
    token, Help Scout's access tokens per app); every test starts without it."""
    forget_admins()
    forget_tokens()
    yield
    forget_admins()
    forget_tokens()
