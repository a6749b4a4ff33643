"""A read-only or full database gives one line a person can act on, at the login and at
every write, and nothing of the write is kept.

Read-only is the database's own answer: SQLite opened with mode=ro answers a write with
SQLITE_READONLY, the code a file chmod 444 (or a read-only folder or mount) gives too;
PostgreSQL under default_transaction_read_only answers SQLSTATE 25006, as a standby does.
Full is SQLite's SQLITE_FULL, reached by holding the file at its size (PRAGMA
max_page_count on every connection to it) and filling the pages a write needs.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool
from streamlit.testing.v1 import AppTest

from leaddash.agreements import create_draft
from leaddash.auth import CLI_ACTOR
from leaddash.db import check_connection, make_engine, read_session, write_session
from leaddash.db_faults import (
    FULL,
    READ_ONLY,
    login_message,
    open_message,
    write_message,
)
from leaddash.definitions import default_definition_content, summarize
from leaddash.errors import ConfigError, DatabaseFault
from leaddash.models import AgreementKind, AuditLog, Comment, LoginFailure, Team, utcnow
from leaddash.users import create_team
from tests.apptest import (
    APP,
    TIMEOUT,
    app_as,
    log_in_as,
    one_user_per_role,
    submit_login,
    texts,
)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = "pages/definition.py"
# More bytes than a SQLite page holds (4 KB; accents take two bytes each), so storing it
# always takes new pages; under the comment limit of 4,000 characters.
LONG_COMMENT = "Décidé à la réunion, vérifié et approuvé. " * 90


def read_only_url(engine: Engine) -> str:
    """Return a URL to `engine`'s database on which every write is refused."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    read_only = url.update_query_dict({"options": "-c default_transaction_read_only=on"})
    return read_only.render_as_string(hide_password=False)


def serve_app_from(url: str, monkeypatch) -> None:
    """Point app.py at `url` in demo mode, with Streamlit's caches emptied."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADDASH_DEMO", "1")
    st.cache_resource.clear()
    st.cache_data.clear()


def count(engine: Engine, table) -> int:
    with read_session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def team_db(engine, monkeypatch) -> Iterator[Engine]:
    """A database with one user per role and a definition draft to comment on."""
    actors = one_user_per_role(engine)
    with write_session(engine) as session:
        create_draft(
            session,
            actor=actors["marketing_leader"],
            kind=AgreementKind.DEFINITION,
            title="Working draft",
            content=default_definition_content(),
            summarize=summarize,
        )
    yield engine
    st.cache_resource.clear()


def post_long_comment(before_run=None) -> AppTest:
    """Post LONG_COMMENT on the definition draft as the sales manager; return the run.
    `before_run` is called once the login is recorded, before the app first runs."""
    if before_run is None:
        at = app_as("sales_manager", DEFINITION)
    else:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        log_in_as(at, "sales_manager")
        before_run()
        at.run()
        at.switch_page(DEFINITION)
        at.run()
    at.text_area[0].input(LONG_COMMENT)
    next(b for b in at.button if b.label == "Post comment").click()
    return at.run()


# --- read-only ---------------------------------------------------------------------------


def test_a_write_on_a_read_only_database_is_one_line_and_writes_nothing(engine):
    read_only = make_engine(read_only_url(engine))
    with pytest.raises(DatabaseFault) as err, write_session(read_only) as session:
        create_team(session, actor=CLI_ACTOR, name="Nordics")
    read_only.dispose()

    assert err.value.reason == READ_ONLY
    assert err.value.message == write_message(READ_ONLY)
    assert err.value.message == (
        "LeadDash cannot save changes: the database is read-only. Nothing was saved; ask "
        "your admin to make the database writable again (its file and folder, the disk, or "
        "the database server's read-only setting)."
    )
    assert count(engine, Team) == 0 and count(engine, AuditLog) == 0


def test_logging_in_to_a_read_only_database_says_so_instead_of_wrong_password(team_db, monkeypatch):
    serve_app_from(read_only_url(team_db), monkeypatch)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    submit_login(at, "rep", TEST_PASSWORD)

    assert not at.exception
    assert [e.value for e in at.error] == [login_message(READ_ONLY)]
    assert "Wrong username or password" not in texts(at)
    assert not at.session_state["authentication_status"]
    assert count(team_db, LoginFailure) == 0


def test_a_page_write_on_a_read_only_database_is_one_line_and_writes_nothing(team_db, monkeypatch):
    audits = count(team_db, AuditLog)
    # The login is recorded while the database still takes writes; then it turns read-only.
    serve_app_from(team_db.url.render_as_string(hide_password=False), monkeypatch)

    at = post_long_comment(lambda: serve_app_from(read_only_url(team_db), monkeypatch))

    assert not at.exception
    assert write_message(READ_ONLY) in texts(at).splitlines()
    assert "Comment posted." not in texts(at)
    assert count(team_db, Comment) == 0 and count(team_db, AuditLog) == audits


def test_the_cli_says_the_read_only_line_and_no_traceback(sqlite_engine):
    env = {**os.environ, "DATABASE_URL": read_only_url(sqlite_engine)}

    done = subprocess.run(
        [sys.executable, "-m", "leaddash", "create-team", "Nordics"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == f"error: {write_message(READ_ONLY)}\n"
    assert count(sqlite_engine, Team) == 0


def test_a_database_that_cannot_even_be_opened_read_only_says_so(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()  # not in WAL mode
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

    with pytest.raises(ConfigError) as err:
        check_connection(engine)

    assert err.value.message == open_message(READ_ONLY)
    assert str(path) in (err.value.detail or "") and str(path) not in err.value.message


# --- full --------------------------------------------------------------------------------


@pytest.fixture
def full_db(sqlite_engine, monkeypatch) -> Iterator[Engine]:
    """A SQLite database with users and a draft, held at its size, whose login-failure
    pages are full: a login's first write, and any write of a long text, find no room."""
    actors = one_user_per_role(sqlite_engine)
    with write_session(sqlite_engine) as session:
        create_draft(
            session,
            actor=actors["marketing_leader"],
            kind=AgreementKind.DEFINITION,
            title="Working draft",
            content=default_definition_content(),
            summarize=summarize,
        )
    with hold_at_its_size(sqlite_engine):
        fill_login_failures(sqlite_engine)
        yield sqlite_engine
    st.cache_resource.clear()


class hold_at_its_size:
    """While open, every new connection to the engine's SQLite file may not grow it."""

    def __init__(self, engine: Engine) -> None:
        self.path = str(engine.url.database)
        with engine.connect() as conn:
            self.pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        self.engine = engine

    def pin(self, dbapi, _record) -> None:
        if isinstance(dbapi, sqlite3.Connection) and any(
            row[2] == self.path for row in dbapi.execute("PRAGMA database_list")
        ):
            dbapi.execute(f"PRAGMA max_page_count={self.pages}")

    def __enter__(self) -> None:
        event.listen(Pool, "connect", self.pin)
        self.engine.dispose()  # its next connections are held too

    def __exit__(self, *_exc: object) -> None:
        event.remove(Pool, "connect", self.pin)
        self.engine.dispose()


def fill_login_failures(engine: Engine) -> None:
    """Record failed logins of another username until the database is full. Each row has
    the size of the row a login writes and sorts before it in every index, so a login's row
    goes where the last of these found no room."""
    start = utcnow() - timedelta(minutes=10)  # counts toward the throttle, of "reo" only
    for step in range(100_000):
        try:
            with write_session(engine) as session:
                session.execute(
                    insert(LoginFailure.__table__).values(
                        username="reo", failed_at=start + timedelta(microseconds=step)
                    )
                )
        except DatabaseFault as exc:
            assert exc.reason == FULL
            return
    raise AssertionError("the database never filled up")


def test_logging_in_to_a_full_database_says_so(full_db, monkeypatch):
    serve_app_from(full_db.url.render_as_string(hide_password=False), monkeypatch)
    failures = count(full_db, LoginFailure)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    submit_login(at, "rep", TEST_PASSWORD)

    assert not at.exception
    assert [e.value for e in at.error] == [login_message(FULL)]
    assert not at.session_state["authentication_status"]
    assert count(full_db, LoginFailure) == failures


def test_a_page_write_on_a_full_database_is_one_line_and_writes_nothing(full_db, monkeypatch):
    serve_app_from(full_db.url.render_as_string(hide_password=False), monkeypatch)
    audits = count(full_db, AuditLog)

    at = post_long_comment()

    assert not at.exception
    assert write_message(FULL) in texts(at).splitlines()
    assert write_message(FULL) == (
        "LeadDash cannot save changes: the database or its disk is full. Nothing was saved; "
        "ask your admin to free disk space on the database's server (or raise the "
        "database's size limit)."
    )
    assert count(full_db, Comment) == 0 and count(full_db, AuditLog) == audits


def test_a_transaction_that_fills_the_database_keeps_none_of_its_writes(full_db):
    teams, audits = count(full_db, Team), count(full_db, AuditLog)
    with pytest.raises(DatabaseFault) as err, write_session(full_db) as session:
        create_team(session, actor=CLI_ACTOR, name="Nordics")  # fits: written first
        session.add(AuditLog(action="note", entity="team", after={"note": LONG_COMMENT}))

    assert err.value.reason == FULL
    assert count(full_db, Team) == teams and count(full_db, AuditLog) == audits


# --- errors no page caught (st.App's on_script_error) -------------------------------------


def show_unhandled_in_a_page(exc: Exception) -> AppTest:
    """Run a page that hands `exc` to show_unhandled; return the run (its answer is kept in
    session state as "shown")."""

    def script(error):
        import streamlit as st

        from leaddash.ui.seam import show_unhandled

        st.session_state["shown"] = show_unhandled(error)

    return AppTest.from_function(script, args=(exc,)).run()


def test_a_read_only_error_no_page_caught_is_shown_as_its_line(engine):
    read_only = make_engine(read_only_url(engine))
    with pytest.raises(DBAPIError) as err, read_only.begin() as conn:
        conn.execute(insert(Team.__table__).values(name="Nordics", version=1, created_at=utcnow()))
    read_only.dispose()

    at = show_unhandled_in_a_page(err.value)

    assert at.session_state["shown"] is True
    assert [e.value for e in at.error] == [open_message(READ_ONLY)]


def test_other_errors_no_page_caught_are_left_to_streamlits_notice():
    at = show_unhandled_in_a_page(ZeroDivisionError("division by zero"))

    assert at.session_state["shown"] is None
    assert not at.error
