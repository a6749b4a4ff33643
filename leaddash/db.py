"""Engine and sessions from DATABASE_URL: SQLite (default) or PostgreSQL via psycopg 3."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from leaddash.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITE_OPTION = "leaddash_write"


def normalize_url(url: str) -> str:
    """Return `url` with PostgreSQL URLs pointed at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def describe_url(url: str) -> str:
    """Return a description of the database that never includes the password."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database or ':memory:'}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.get_backend_name()} database {parsed.database!r} on {parsed.host}{port}"


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock mid-transaction.
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Return a new engine for `url`; SQLite files get their folder, WAL and pragmas."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        _install_sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def check_connection(engine: Engine) -> None:
    """Raise ConfigError with one clear line when the database does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        where = describe_url(engine.url.render_as_string(hide_password=True))
        raise ConfigError(f"Cannot reach the {where}: {reason}") from None


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
                raise RuntimeError("This thread already has a write session open on this "
                                   "database: a second one would wait for itself forever.")
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
    """Yield a session in one write transaction: committed on success, rolled back on error."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with _writer_turn(engine), Session(writer, expire_on_commit=False) as session, \
            session.begin():
        session.connection()  # begin now, so SQLite takes the write lock before any read
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """Yield a short read-only session."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
