"""Passwords and the spaces around them: refused wherever a password is set (service, command
line, admin page), ignored where one is typed to log in, so every password set can log in.

The login form (streamlit-authenticator's login controller) strips what is typed in the
password box; a password kept with a space at its start or end could never log in."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from leaddash.auth import CLI_ACTOR, check_password
from leaddash.cli import main
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Role, User
from leaddash.throttle import attempt_login
from leaddash.users import create_user, set_password
from tests.apptest import APP, TIMEOUT, app_as, submit_login, texts
from tests.conftest import TEST_PASSWORD, make_user

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
REFUSED = (
    "The password starts or ends with a space, which the login form leaves out. "
    "Remove the spaces at its start and end, or put them inside the password."
)
SPACED = [
    " leading-space-pw",
    "trailing-space-pw ",
    "  both-ends-pw  ",
    "\ttabbed-password",
    "new-line-password\n",
]


def usernames(engine) -> list[str]:
    with read_session(engine) as session:
        return sorted(session.exec(select(User.username)).all())


@pytest.mark.parametrize("password", SPACED)
def test_a_password_with_a_space_at_either_end_is_refused_saying_what_to_do(password):
    with pytest.raises(InvalidInput) as refused:
        check_password(password)

    assert refused.value.message == REFUSED
    assert refused.value.field == "password"


def test_spaces_inside_a_password_are_kept_and_log_in(engine):
    with write_session(engine) as session:
        create_user(
            session,
            actor=CLI_ACTOR,
            username="ann",
            role=Role.REP,
            password="correct horse battery staple",
        )

    assert (
        attempt_login(
            engine, username="ann", password="correct horse battery staple", now=T0, address=None
        )
        is not None
    )
    assert (
        attempt_login(
            engine, username="ann", password="correcthorsebatterystaple", now=T0, address=None
        )
        is None
    )


def test_creating_a_user_with_a_spaced_password_stores_nobody(engine):
    with (
        pytest.raises(InvalidInput, match="starts or ends with a space"),
        write_session(engine) as session,
    ):
        create_user(
            session, actor=CLI_ACTOR, username="ann", role=Role.REP, password=" spaced-password "
        )

    assert usernames(engine) == []


def test_a_reset_to_a_spaced_password_keeps_the_old_one(engine):
    make_user(engine, "ann", Role.REP)

    with (
        pytest.raises(InvalidInput, match="starts or ends with a space"),
        write_session(engine) as session,
    ):
        set_password(session, actor=CLI_ACTOR, username="ann", password="new-password ")

    assert (
        attempt_login(engine, username="ann", password=TEST_PASSWORD, now=T0, address=None)
        is not None
    )


def test_spaces_typed_around_the_password_at_login_are_left_out(engine):
    make_user(engine, "ann", Role.REP)

    actor = attempt_login(
        engine, username="ann", password=f"  {TEST_PASSWORD}\t", now=T0, address=None
    )

    assert actor is not None and actor.username == "ann"


# --- the command line ---


def test_cli_create_user_refuses_a_spaced_password(engine, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(" spaced-password\n"))

    assert main(["create-user", "dana", "--role", "admin"]) == 2

    assert REFUSED in capsys.readouterr().err
    assert usernames(engine) == []


def test_cli_set_password_refuses_a_spaced_password_and_keeps_the_old(engine, monkeypatch, capsys):
    make_user(engine, "dana", Role.ADMIN)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO("spaced-password  \n"))

    assert main(["set-password", "dana"]) == 2

    assert REFUSED in capsys.readouterr().err
    assert (
        attempt_login(engine, username="dana", password=TEST_PASSWORD, now=T0, address=None)
        is not None
    )


# --- the pages ---


def test_admin_page_refuses_a_spaced_first_password(app_db):
    at = app_as("admin", "pages/admin_users.py")
    form = {t.label: t for t in at.text_input}
    form["Username"].input("new.rep")
    form["First password"].input("a-good-long-password ")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()

    assert not at.exception
    assert REFUSED in texts(at)
    assert "new.rep" not in usernames(app_db)


def test_admin_page_refuses_a_spaced_reset_and_the_old_password_still_logs_in(app_db):
    at = app_as("admin", "pages/admin_users.py")
    at.selectbox(key="edit_user_pick").select("rep").run()
    next(t for t in at.text_input if t.label == "New password").input(" a-new-long-password")
    next(b for b in at.button if b.label == "Reset password").click()
    at.run()

    assert not at.exception
    assert REFUSED in texts(at)
    assert (
        attempt_login(app_db, username="rep", password=TEST_PASSWORD, now=T0, address=None)
        is not None
    )


def test_the_login_form_lets_in_a_password_typed_with_spaces_around_it(app_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()

    submit_login(at, "rep", f" {TEST_PASSWORD}  ")

    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "Open leads" in texts(at)
