import threading
import time

from sqlalchemy import text

from leaddash.db import make_engine, read_session, write_session


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_refuses_a_row_pointing_at_nothing(sqlite_engine):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), write_session(sqlite_engine) as s:
        s.execute(
            text(
                "INSERT INTO touch (lead_id, rep_id, channel, occurred_at) "
                "VALUES (999, 999, 'call', '2026-01-01')"
            )
        )


def test_write_sessions_take_the_write_lock_at_begin(tmp_path):
    """A second writer waits for the first instead of failing half-way through."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    order: list[str] = []
    first_has_lock, second_asks = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with write_session(engine) as s:
            order.append("first has lock")
            first_has_lock.set()
            second_asks.wait(timeout=30)
            # Hold the lock while the second writer asks for it; the order asserted below
            # rests on the events, not on this pause.
            time.sleep(0.2)
            s.execute(text("UPDATE counter SET n = n + 1"))
            order.append("first done")

    worker = threading.Thread(target=slow_writer)
    worker.start()
    assert first_has_lock.wait(timeout=30)
    second_asks.set()
    with write_session(engine) as s:
        order.append("second has lock")
        s.execute(text("UPDATE counter SET n = n + 10"))
    worker.join()
    assert order == ["first has lock", "first done", "second has lock"]
    with read_session(engine) as s:
        assert s.execute(text("SELECT n FROM counter")).scalar() == 11


def test_postgres_urls_use_psycopg3():
    engine = make_engine("postgresql://u@127.0.0.1:5432/x")
    assert engine.dialect.driver == "psycopg"


def test_threads_writing_at_once_all_commit_when_the_queue_outlasts_the_busy_timeout(
    tmp_path, monkeypatch
):
    """Threads of one process queue for SQLite's write lock instead of polling it, so none
    fails with "database is locked" while the writers ahead take longer than the timeout."""
    monkeypatch.setattr("leaddash.db.SQLITE_BUSY_TIMEOUT_MS", 20)
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (n INTEGER)"))
    start, errors = threading.Barrier(8), []

    def writer(n: int) -> None:
        start.wait()
        try:
            with write_session(engine) as s:
                s.execute(text("INSERT INTO note VALUES (:n)"), {"n": n})
                time.sleep(0.05)  # hold the lock longer than the others' busy timeout
        except Exception as exc:
            errors.append(str(exc).splitlines()[0])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM note")).scalar() == 8


def test_a_second_write_session_in_the_same_thread_is_refused_at_once(sqlite_engine):
    import pytest

    with (
        write_session(sqlite_engine),
        pytest.raises(RuntimeError, match="wait for itself"),
        write_session(sqlite_engine),
    ):
        pass
