"""Shared fixtures: a fresh database per test, on SQLite and (when reachable) PostgreSQL.

PostgreSQL tests use the server named by LEADDASH_TEST_PG_URL (set by .ci/run when a server
answers on 127.0.0.1:5432); without it they are skipped with the reason. A database test runs
on PostgreSQL too only where the backend matters (its SQL, locking, imports, migrations): mark
the test or module `postgresql`; LEADDASH_TEST_ALL_BACKENDS=1 runs every copy.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.util
import streamlit as st
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

import leaddash.db
import leaddash.models  # registers the tables
from leaddash.auth import CLI_ACTOR
from leaddash.core.actor import Actor
from leaddash.db import make_engine, write_session
from leaddash.models import Role
from leaddash.users import create_team, create_user
from tests.apptest import use_database
from tests.report_demo import copy_of, seed_demo_database, template

PG_ENV = "LEADDASH_TEST_PG_URL"
ALL_BACKENDS_ENV = "LEADDASH_TEST_ALL_BACKENDS"
BACKENDS_ENV = "LEADDASH_TEST_BACKENDS"
TEST_PASSWORD = "correct-horse-battery"
BACKEND_FIXTURES = ("db_url", "engine", "demo_url", "hostile_url")
PG_SEQUENCES = "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"


_make_engine_unshared = leaddash.db.create_engine
_SHARED: dict[tuple[str, str], tuple[Any, Any]] = {}  # (dialect, compiled-SQL cache)


def _engine_sharing_compiled_sql(url, **kwargs) -> Engine:
    """Create the engine as LeadDash does, then give it the dialect and compiled-SQL cache
    of the process's first engine of its kind that connected: SQLAlchemy keys its cache by
    dialect object, so each test's new engine would compile every statement afresh (a sixth
    of a typical database test). Every test database of a kind is the same SQLite library or
    the same PostgreSQL server, so one dialect, set up by a first connection, fits them all."""
    engine = _make_engine_unshared(url, **kwargs)
    key = (engine.dialect.name, engine.dialect.driver)
    if key in _SHARED:
        engine.dialect, engine._compiled_cache = _SHARED[key]
        return engine

    def share_once_set_up(*_) -> None:
        # SQLAlchemy sets the dialect up on its engine's first connection.
        if key not in _SHARED and hasattr(engine.dialect, "default_isolation_level"):
            engine._compiled_cache = sqlalchemy.util.LRUCache(5000)
            _SHARED[key] = (engine.dialect, engine._compiled_cache)

    event.listen(engine, "connect", share_once_set_up)
    return engine


leaddash.db.create_engine = _engine_sharing_compiled_sql


def pytest_collection_finish(session) -> None:
    """Move what importing the app and the tests made out of the garbage collector's reach:
    its full passes walk only what the tests themselves make afterwards."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items) -> None:
    """Keep the PostgreSQL copy of a database test only where the backend matters: tests
    (or modules) marked `postgresql`. Set LEADDASH_TEST_ALL_BACKENDS=1 to run every copy,
    LEADDASH_TEST_BACKENDS=sqlite (make check) to run none."""
    if os.environ.get(ALL_BACKENDS_ENV) == "1":
        return
    sqlite_only = os.environ.get(BACKENDS_ENV) == "sqlite"
    dropped = [
        item
        for item in items
        if _postgresql_copy_not_needed(item) or (sqlite_only and _postgresql_copy(item))
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]
    items[:] = _longest_files_first(items)


def _longest_files_first(items: list) -> list:
    """Return `items` with whole test files reordered: the browser files first (each takes
    a minute or two), then the rest by their number of tests, most first. With
    `--dist loadfile --no-loadscope-reorder` (make test) the two test processes take the
    longest files first and share out the short ones at the end, so both finish together."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(tests: list) -> tuple[bool, int]:
        return tests[0].get_closest_marker("browser") is None, -len(tests)

    return [item for tests in sorted(files.values(), key=weight) for item in tests]


def _postgresql_copy(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        callspec.params.get(name) == "postgresql" for name in BACKEND_FIXTURES
    )


def _postgresql_copy_not_needed(item) -> bool:
    return item.get_closest_marker("postgresql") is None and _postgresql_copy(item)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap bcrypt rounds in tests; the hashes stay real bcrypt hashes."""
    monkeypatch.setattr("leaddash.auth.BCRYPT_ROUNDS", 4)


def pg_admin_url() -> str:
    """Return the PostgreSQL server URL for tests, or skip the test with the reason."""
    if os.environ.get(BACKENDS_ENV) == "sqlite":
        pytest.skip(f"{BACKENDS_ENV}=sqlite: this run (make check) leaves PostgreSQL out")
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (set by .ci/run when a server answers)")
    return url


@contextmanager
def throwaway_pg_database(purpose: str) -> Iterator[str]:
    """Create a PostgreSQL database named for `purpose`, yield its URL, drop it after (skip
    the test with the reason when no server answers)."""
    admin_url = pg_admin_url()
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"leaddash_{purpose}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test's commits need not survive a crash of the server: not waiting for
            # each one's flush to disk makes the PostgreSQL copies markedly faster.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except OperationalError as exc:  # the server named by the variable is down
        admin.dispose()
        pytest.skip(f"PostgreSQL at {make_url(admin_url).host} did not answer: {exc}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """Create a throwaway PostgreSQL database for this test run and return its URL."""
    with throwaway_pg_database("test") as url:
        yield url


def _sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """URL of an empty database (no tables) on each backend."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    with engine.begin() as conn:
        _new_schema(conn)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """Return a SQLite file holding every table and nothing else, built once per run:
    each test's database is a copy of it (creating the tables costs more than most tests)."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    eng = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(eng)
    eng.dispose()  # the last connection closing folds the write-ahead log into the file
    return path


@pytest.fixture(scope="session")
def pg_schema_database() -> Iterator[tuple[str, Engine]]:
    """Create a throwaway PostgreSQL database with every table, once per run; yield its URL
    and the engine that empties it for each test that takes `engine` (see _emptied)."""
    with throwaway_pg_database("schema") as url:
        eng = make_engine(url)
        SQLModel.metadata.create_all(eng)
        yield url, eng
        eng.dispose()


def _emptied(url: str, eng: Engine) -> str:
    """Return `url` after emptying the tables that hold rows and restarting every id
    sequence, with `eng`, its engine; a test that changed the tables themselves leaves them
    to be created afresh.

    TRUNCATE gives a table a new empty file, so rows come back in the order they were
    written, as from a new table (after a DELETE, PostgreSQL may put new rows in old rows'
    places); it costs about 20 ms a table, so only tables with rows get it."""
    tables = SQLModel.metadata.sorted_tables
    try:
        with eng.begin() as conn:
            if set(inspect(conn).get_table_names()) == {t.name for t in tables}:
                _truncate_filled(conn, tables)
                return url
            _new_schema(conn)
        SQLModel.metadata.create_all(eng)
        return url
    finally:
        eng.dispose()  # no connection of its own stays open while the test counts them


def _new_schema(conn) -> None:
    """Drop every table (and whatever else a test made) with the schema that holds them."""
    conn.execute(text("DROP SCHEMA public CASCADE"))
    conn.execute(text("CREATE SCHEMA public"))


def _truncate_filled(conn, tables) -> None:
    holding = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
    )
    filled = conn.execute(text(holding)).scalars().all()
    if filled:
        names = ", ".join(f'"{name}"' for name in filled)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    sequences = conn.execute(text(PG_SEQUENCES)).scalars().all()
    restarts = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
    conn.execute(text(f"SELECT {restarts}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[Engine]:
    """An engine over a fresh database with every table created, on each backend: on
    SQLite a copy of the schema file, on PostgreSQL the run's schema database emptied."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "test.db")
        url = _sqlite_url(tmp_path)
    else:
        url = _emptied(*request.getfixturevalue("pg_schema_database"))
    eng = make_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_schema) -> Iterator[Engine]:
    """An engine over a fresh SQLite file, for tests of SQLite itself (pragmas, locking);
    every other test takes `engine` and runs on both backends."""
    shutil.copyfile(sqlite_schema, tmp_path / "test.db")
    eng = make_engine(_sqlite_url(tmp_path))
    yield eng
    eng.dispose()


def make_user(engine: Engine, username: str, role: str, team: str | None = None) -> Actor:
    """Create a user (and its team when new) and return its Actor."""
    with write_session(engine) as session:
        if team and not _team_exists(session, team):
            create_team(session, actor=CLI_ACTOR, name=team)
        user = create_user(
            session,
            actor=CLI_ACTOR,
            username=username,
            role=role,
            password=TEST_PASSWORD,
            team=team,
            name=username.title(),
        )
        return Actor(
            id=user.id, username=user.username, role=user.role, team_id=user.team_id, name=user.name
        )


def _team_exists(session: Session, name: str) -> bool:
    from leaddash.auth import team_by_name
    from leaddash.errors import InvalidInput

    try:
        return team_by_name(session, name) is not None
    except InvalidInput:
        return False


@pytest.fixture
def admin(engine) -> Actor:
    return make_user(engine, "boss", Role.ADMIN)


@pytest.fixture
def app_db(engine, monkeypatch) -> Iterator[Engine]:
    """A database with one user per role (named after the role), used by app.py, on each
    backend."""
    import streamlit as st

    from tests.apptest import one_user_per_role, use_database

    use_database(engine, monkeypatch)
    one_user_per_role(engine)
    yield engine
    st.cache_resource.clear()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_url(request, tmp_path_factory) -> Iterator[str]:
    """Return the URL of the 1,500-lead demo with its facts, seeded once per run on each
    backend (tests that use it only read it)."""
    if request.param == "sqlite":
        demo = template(tmp_path_factory, "demo", seed_demo_database)
        yield copy_of(demo, tmp_path_factory.getbasetemp())
        return
    with throwaway_pg_database("demo") as url:
        seed_demo_database(url)
        yield url


@pytest.fixture
def demo(demo_url, monkeypatch) -> Iterator[Engine]:
    """Yield an engine on the shared demo, with app.py pointed at it and caches emptied."""
    eng = make_engine(demo_url)
    use_database(eng, monkeypatch)
    yield eng
    st.cache_resource.clear()
    eng.dispose()
