"""An import killed in the middle of writing leaves the database exactly as it was, and the
same file then imports in full.

`python -m leaddash import leads BIG.csv` runs in a child process and is killed (SIGKILL:
no cleanup of ours runs) once the database shows it writing, not after a guessed sleep:
on SQLite, another connection holds the write lock and has put pages of its open
transaction into the WAL; on PostgreSQL, the import's backend holds row-write locks on
the leads, their stage events and the analytics facts, so leads, events and facts are
all half written when it dies.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

from leaddash import migrate
from leaddash.config import PROJECT_ROOT
from leaddash.db import make_engine
from leaddash.db_url import normalize_url
from tests.db_snapshot import snapshot
from tests.test_import_leads import run

# Slow (an import process started and killed: about 20 s): make test runs it, make check
# leaves it out.
pytestmark = pytest.mark.slow

# PostgreSQL takes its bulk inserts several times slower than SQLite, so it gets fewer rows.
ROWS = {"sqlite": 40_000, "postgresql": 15_000}
GIVE_UP_AFTER_S = 600
PG_WRITING = text(
    "SELECT count(DISTINCT c.relname) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.datname = current_database() "
    "AND l.pid <> pg_backend_pid() AND l.granted AND l.mode = 'RowExclusiveLock' "
    "AND c.relname IN ('lead', 'stageevent', 'leadpass')"
)
PG_OTHERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid()"
)


def write_big_file(path: Path, rows: int) -> Path:
    """Write a lead file of `rows` distinct new leads and return its path."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "external_id",
                "email",
                "first_name",
                "company",
                "title",
                "country",
                "industry",
                "employees",
                "source",
                "created_at",
                "Favourite colour",
            ]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"K-{i:06d}",
                    f"lead{i}@co{i % 997}.example",
                    f"Ann {i}",
                    f"Co {i % 997}",
                    "VP Marketing",
                    "US",
                    "Software",
                    50 + i % 900,
                    "Webinar",
                    f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}",
                    "green",
                ]
            )
    return path


def start_import(url: str, path: Path) -> subprocess.Popen:
    """Start `python -m leaddash import leads PATH` against `url` in a child process."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "leaddash", "import", "leads", str(path)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], child: subprocess.Popen | None = None) -> None:
    """Return once `condition` holds; fail if the child ends first (it was too quick to
    catch) or nothing happens for ten minutes (a hung test, not a measurement)."""
    deadline = time.monotonic() + GIVE_UP_AFTER_S
    while not condition():
        if child is not None and child.poll() is not None:
            pytest.fail(
                f"The import ended (exit {child.returncode}) before it was seen "
                f"writing: {child.communicate()}"
            )
        if time.monotonic() > deadline:
            pytest.fail("Gave up waiting for the database")
        time.sleep(0.01)


def sqlite_path(url: str) -> Path:
    """Return the file of a SQLite URL."""
    return Path(make_url(url).database or "")


def sqlite_write_locked(path: Path) -> bool:
    """Return True when another connection holds the database's write lock."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def sqlite_writing(path: Path) -> Callable[[], bool]:
    """Return a check that the write transaction has put pages into the emptied WAL and
    not committed them (it still holds the lock)."""
    wal = path.with_name(path.name + "-wal")
    return lambda: wal.exists() and wal.stat().st_size > 0 and sqlite_write_locked(path)


def pg_probe(url: str) -> Engine:
    """Return an engine that keeps no pooled connection (the test's own backends stay out
    of the other-backends count)."""
    return create_engine(normalize_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")


def pg_count(url: str, query) -> int:
    """Return the count one probe query gives."""
    probe = pg_probe(url)
    try:
        with probe.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        probe.dispose()


def prepared(db_url: str, tmp_path: Path) -> Path:
    """Migrate the database, store a few leads, empty the WAL; return the big file."""
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    run(engine, "leads_plain.csv")
    run(engine, "activities.csv", "activities")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return write_big_file(tmp_path / "BIG.csv", ROWS[make_url(db_url).get_backend_name()])


def kill_while_writing(db_url: str, big: Path) -> None:
    """Start the import, SIGKILL it once it is writing, and wait until it is gone (on
    PostgreSQL: until its backend has ended and rolled back)."""
    child = start_import(db_url, big)
    try:
        if make_url(db_url).get_backend_name() == "sqlite":
            wait_until(sqlite_writing(sqlite_path(db_url)), child)
        else:
            wait_until(lambda: pg_count(db_url, PG_WRITING) == 3, child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    if make_url(db_url).get_backend_name() != "sqlite":
        wait_until(lambda: pg_count(db_url, PG_OTHERS) == 0)


def test_an_import_killed_while_writing_leaves_nothing_and_the_file_imports_again(db_url, tmp_path):
    big = prepared(db_url, tmp_path)
    engine = make_engine(db_url)
    before = snapshot(engine)
    engine.dispose()

    kill_while_writing(db_url, big)

    engine = make_engine(db_url)
    assert snapshot(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    again = start_import(db_url, big)
    out, err = again.communicate()
    rows = ROWS[engine.dialect.name]
    assert (again.returncode, err) == (0, "")
    assert out.startswith(f"Imported BIG.csv: {rows:,} new leads, 0 updated, 0 unchanged.")
    after = snapshot(engine)
    engine.dispose()
    assert len(after["lead"]) == len(before["lead"]) + rows
    assert len(after["importbatch"]) == len(before["importbatch"]) + 1
    assert after["lead"][: len(before["lead"])] == before["lead"]
