"""Engine and sessions from DATABASE_URL: SQLite (default) or PostgreSQL via psycopg 3."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from leaddash.db_faults import fault_reason, faults_as_messages, open_message
from leaddash.db_url import describe_url, parse_url, scrubbed
from leaddash.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITE_OPTION = "leaddash_write"


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock mid-transaction.
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Return a new engine for `url`; SQLite files get their folder, WAL and pragmas.
    A URL that cannot work raises ConfigError saying what to fix."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        _make_sqlite_folder(parsed)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 15})
        _install_sqlite_pragmas(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _make_sqlite_folder(url: URL) -> None:
    database = url.database or ":memory:"
    if database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI the driver opens as it says (mode=ro …)
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "LeadDash cannot create the folder of its SQLite database. Ask your admin to "
            "create it, or to point DATABASE_URL at a folder LeadDash may write to.",
            detail=f"{describe_url(url, public=False)}: {exc.strerror}",
        ) from None


def check_connection(engine: Engine) -> None:
    """Raise ConfigError with one clear line when the database does not answer: the line
    names no credential and no file path (visitors who are not logged in see it); its
    `detail` gives the operator the database server's own words and the file's path."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise _unreachable(engine.url, exc) from None


def _unreachable(url: URL, exc: DBAPIError) -> ConfigError:
    said = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    public, private = scrubbed(said, url), scrubbed(said, url, public=False)
    # The operator is told what visitors are not: the file's path, paths in the reason.
    hidden = private != public or url.get_backend_name() == "sqlite"
    detail = f"{describe_url(url, public=False)}: {private}" if hidden else None
    reason = fault_reason(exc)
    if reason is not None:
        return ConfigError(open_message(reason), detail=detail)
    return ConfigError(
        f"LeadDash cannot reach the {describe_url(url)}: {public.rstrip('.')}. Ask your "
        "admin to check that the database server is running and that DATABASE_URL names "
        "it.",
        detail=detail,
    )


def is_sqlite(engine: Engine) -> bool:
    """Return True when `engine` talks to SQLite."""
    return engine.dialect.name == "sqlite"


class FairLock:
    """A lock granted in the order it was asked for (threading.Lock promises no order)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False
        self._holder: int | None = None

    def __enter__(self) -> None:
        with self._guard:
            if self._holder == threading.get_ident():
                raise RuntimeError(
                    "This thread already has a write session open on this "
                    "database: a second one would wait for itself forever."
                )
            if not self._held:
                self._held, self._holder = True, threading.get_ident()
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # the holder releases it to hand the lock over: only this one wakes
        self._holder = threading.get_ident()

    def __exit__(self, *_exc: object) -> None:
        with self._guard:
            self._holder = None
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


_WRITER_TURNS: WeakKeyDictionary[object, FairLock] = WeakKeyDictionary()
_TURNS_GUARD = threading.Lock()


def _writer_turn(engine: Engine) -> AbstractContextManager[None]:
    """Return the SQLite database's in-process writer queue (a no-op on PostgreSQL)."""
    # SQLite lets one writer in at a time, and its busy handler polls with growing sleeps,
    # so under many threads a writer can lose every poll for the whole busy timeout and
    # fail with "database is locked". Threads of one process queue here instead, first
    # come first served; other processes still wait through the busy timeout.
    if not is_sqlite(engine):
        return nullcontext()
    with _TURNS_GUARD:
        return _WRITER_TURNS.setdefault(engine.pool, FairLock())


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """Yield a session in one write transaction: committed on success, rolled back on error
    (a read-only or full database raises DatabaseFault, with nothing written)."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with (
        faults_as_messages(),
        _writer_turn(engine),
        Session(writer, expire_on_commit=False) as session,
        session.begin(),
    ):
        session.connection()  # begin now, so SQLite takes the write lock before any read
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """Yield a short read-only session."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
