"""AppTest runs of the login form (its throttle, the login it starts), of logout ending the
login, and of a tab whose login ended elsewhere (SQLite and PostgreSQL).

The app runs as leaddash.ui.serve serves it (pages/ never auto-discovered), so every rerun
goes through app.py and its login check, as in a browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from leaddash.auth import actor_for, get_user
from leaddash.db import read_session, write_session
from leaddash.logins import end_login
from leaddash.models import LoginSession, Stage, Touch
from leaddash.reasons import ensure_default_reasons
from leaddash.ui.login import ENDED_KEY, LOGIN_KEY, TICKET_KEY
from leaddash.ui.login_routes import TICKETS
from tests.apptest import APP, TIMEOUT, app_as, log_in_as, seen, submit_login, texts
from tests.conftest import TEST_PASSWORD
from tests.queue_factory import lead_now, make_lead
from tests.test_app_roles import ServedPages

THROTTLED = re.compile(
    r"Too many failed logins for this username\. Wait "
    r"(?:(\d+) minutes?)? ?(?:(\d+) seconds?)?, then try again\."
)


def waited_seconds(text: str) -> int | None:
    """Return the wait the throttle message in `text` names, in seconds (None: no message)."""
    found = THROTTLED.search(text)
    if found is None:
        return None
    minutes, seconds = (int(part or 0) for part in found.groups())
    return 60 * minutes + seconds


FORM = {"Username", "Password"}


@pytest.fixture(autouse=True)
def served(monkeypatch):
    monkeypatch.setattr("streamlit.testing.v1.app_test.PagesManager", ServedPages)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)


def logins_of(engine, username: str) -> list[LoginSession]:
    with read_session(engine) as session:
        user_id = get_user(session, username).id
        return list(session.exec(select(LoginSession).where(LoginSession.user_id == user_id)))


def test_after_five_wrong_passwords_the_form_says_how_long_to_wait(app_db, monkeypatch):
    # A long first wait, so a slow machine cannot reach its end between two runs.
    monkeypatch.setattr("leaddash.throttle.FIRST_WAIT", timedelta(minutes=4))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(5):
        submit_login(at, "rep", "not-the-password")
        assert "Wrong username or password" in texts(at)

    submit_login(at, "rep", TEST_PASSWORD)

    assert not at.exception
    wait = waited_seconds(texts(at))
    assert wait is not None and 0 < wait <= 240
    assert "Wrong username or password" not in texts(at)
    assert LOGIN_KEY not in at.session_state
    assert "Open leads" not in texts(at)
    assert logins_of(app_db, "rep") == []


def test_a_right_password_starts_a_login_and_a_ticket_for_its_cookie(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    submit_login(at, "rep", TEST_PASSWORD)

    assert not at.exception
    assert "Open leads" in texts(at)
    [login] = logins_of(app_db, "rep")
    assert at.session_state[LOGIN_KEY] == login.token_sha256 and login.ended_at is None
    assert TICKETS.pending(at.session_state[TICKET_KEY])  # the page's component fetches it


def test_a_wrong_password_starts_no_login(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    submit_login(at, "rep", "not-the-password")

    assert "Wrong username or password" in texts(at)
    assert logins_of(app_db, "rep") == []


def test_log_out_ends_the_login_and_shows_the_form(app_db):
    at = app_as("rep")
    digest = at.session_state[LOGIN_KEY]

    at.button(key="Logout").click().run()

    assert not at.exception
    assert {t.label for t in at.text_input} == FORM
    assert not at.warning  # logging out is no surprise: no "your login has ended"
    [login] = logins_of(app_db, "rep")
    assert (login.token_sha256, login.ended_reason) == (
        digest,
        "you logged out in another tab or window",
    )


def test_a_session_whose_login_ended_elsewhere_lands_on_the_form_saying_why(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    digest = log_in_as(at, "rep")
    with write_session(app_db) as session:
        end_login(session, digest=digest)

    at.run()

    assert not at.exception
    assert "Open leads" not in texts(at)
    assert {t.label for t in at.text_input} == FORM
    assert seen(at.warning[0].value) == (
        "Your login has ended (you logged out in another tab or window): log in again."
    )
    assert at.session_state[ENDED_KEY] == seen(at.warning[0].value)


def test_a_session_holding_a_live_login_stays_logged_in(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    log_in_as(at, "rep")
    other = log_in_as(AppTest.from_file(APP, default_timeout=TIMEOUT), "rep")
    with write_session(app_db) as session:
        end_login(session, digest=other)  # another browser's logout

    at.run()

    assert not at.exception
    assert "Open leads" in texts(at)


def test_a_stale_tabs_log_attempt_writes_no_touch(app_db):
    with write_session(app_db) as session:
        ensure_default_reasons(session)
        rep = actor_for(get_user(session, "rep"))
    lead = make_lead(app_db, rep)
    at = app_as("rep", "pages/my_queue.py")
    with write_session(app_db) as session:
        end_login(session, digest=at.session_state[LOGIN_KEY])  # logged out in another tab

    at.button(key=f"attempt_{lead.id}").click().run()

    assert not at.exception
    assert seen(at.warning[0].value) == (
        "Your login has ended (you logged out in another tab or window): log in again."
    )
    assert {t.label for t in at.text_input} == FORM
    with read_session(app_db) as session:
        assert session.exec(select(func.count()).select_from(Touch)).one() == 0
    assert lead_now(app_db, lead.id).stage == Stage.MQL


def test_an_admin_ends_all_logins_of_a_user_from_the_admin_page(app_db):
    reps_tab = AppTest.from_file(APP, default_timeout=TIMEOUT)
    log_in_as(reps_tab, "rep")
    at = app_as("admin", "pages/admin_users.py")
    at.selectbox(key="edit_user_pick").set_value("rep").run()

    next(b for b in at.button if b.label == "End all logins").click().run()

    assert not at.exception
    assert (
        "Ended every login of 'rep': each of their open tabs asks them to log in again."
        in texts(at)
    )
    assert [login.ended_reason for login in logins_of(app_db, "rep")] == [
        "an admin ended your logins"
    ]
    reps_tab.run()
    assert seen(reps_tab.warning[0].value) == (
        "Your login has ended (an admin ended your logins): log in again."
    )
    assert [login.ended_at for login in logins_of(app_db, "admin")] == [None]
