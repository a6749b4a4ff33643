"""AppTest runs of the real entry point: login, navigation by role, each page per role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from leaddash.models import Role
from leaddash.ui.login import LOGIN_KEY
from leaddash.ui.nav import pages_for
from tests.apptest import APP, TIMEOUT, app_as, seen, submit_login, texts
from tests.conftest import TEST_PASSWORD

ROLES = [r.value for r in Role]


def test_login_form_logs_a_user_in(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "leaddash-demo" in texts(at)  # demo logins are listed in demo mode
    submit_login(at, "rep", TEST_PASSWORD)
    assert not at.exception
    assert at.session_state[LOGIN_KEY]
    assert "Open leads" in texts(at)


def test_wrong_password_shows_a_plain_message(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    submit_login(at, "rep", "not-the-password")
    assert not at.exception
    assert "Wrong username or password" in texts(at)
    assert "Open leads" not in texts(at)


def test_demo_logins_are_not_listed_outside_demo_mode(app_db, monkeypatch):
    monkeypatch.setenv("LEADDASH_DEMO", "0")
    monkeypatch.setenv("LEADDASH_COOKIE_KEY", "k" * 40)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "leaddash-demo" not in texts(at)


def test_missing_cookie_key_outside_demo_mode_stops_with_a_message(app_db, monkeypatch):
    monkeypatch.setenv("LEADDASH_DEMO", "0")
    monkeypatch.delenv("LEADDASH_COOKIE_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "LEADDASH_COOKIE_KEY is not set" in texts(at)
    assert not at.text_input


def test_unreachable_database_stops_with_one_line_naming_the_host(app_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter2-pw@127.0.0.1:1/leads")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    message = seen(at.error[0].value)
    assert "127.0.0.1" in message and "hunter2-pw" not in message


PAGE_CASES = [(role, spec.script) for role in ROLES for spec in pages_for(role)]


@pytest.mark.parametrize(("role", "script"), PAGE_CASES)
def test_each_role_opens_each_of_its_pages(app_db, role, script):
    at = app_as(role, f"pages/{script}")
    assert not at.exception, at.exception
    assert at.title, f"{script} drew no title for {role}"


def test_rep_switching_to_a_leader_page_is_refused(app_db):
    at = app_as("rep")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin_users.py")
    at.run()
    assert not at.exception
    assert "Users and teams" not in [t.value for t in at.title]
    assert "Open leads" in texts(at)


def test_deactivated_user_with_a_live_session_is_logged_out(app_db):
    from leaddash.auth import CLI_ACTOR
    from leaddash.db import write_session
    from leaddash.users import set_active

    at = app_as("rep")
    assert "Open leads" in texts(at)
    with write_session(app_db) as s:
        set_active(s, actor=CLI_ACTOR, username="rep", active=False)
    at.run()
    assert not at.exception
    assert "Your login has ended (your account was deactivated): log in again." in texts(at)
    assert "Open leads" not in texts(at)


def test_admin_adds_a_user_from_the_page(app_db):
    at = app_as("admin", "pages/admin_users.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input("new.rep")
    form["Full name"].input("New Rep")
    form["First password"].input("a-good-long-password")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    assert not at.exception
    assert "Added rep 'new.rep'" in texts(at)


def test_admin_sees_a_clear_message_for_a_bad_password(app_db):
    at = app_as("admin", "pages/admin_users.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input("new.rep")
    form["First password"].input("short")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    assert not at.exception
    assert "The password is too short" in texts(at)
