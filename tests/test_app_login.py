"""AppTest runs of the login form's throttle and of logout revoking the login token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from streamlit.testing.v1 import AppTest

from leaddash.db import write_session
from leaddash.sessions import revoke_token, token_digest
from tests.apptest import APP, TIMEOUT, submit_login, texts
from tests.conftest import TEST_PASSWORD

THROTTLED = re.compile(r"Too many failed logins for this username\. Wait "
                       r"(?:(\d+) minutes?)? ?(?:(\d+) seconds?)?, then try again\.")


def waited_seconds(text: str) -> int | None:
    """Return the wait the throttle message in `text` names, in seconds (None: no message)."""
    found = THROTTLED.search(text)
    if found is None:
        return None
    minutes, seconds = (int(part or 0) for part in found.groups())
    return 60 * minutes + seconds


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
    assert not at.session_state["authentication_status"]
    assert "Open leads" not in texts(at)


def test_a_session_holding_a_revoked_token_lands_on_the_login_form(app_db):
    digest = token_digest("the-token-this-tab-holds")
    now = datetime.now(UTC)
    with write_session(app_db) as session:
        revoke_token(session, digest=digest, expires_at=now + timedelta(days=7), now=now)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "rep"
    at.session_state["login_token"] = (digest, now + timedelta(days=7))

    at.run()

    assert not at.exception
    assert "Open leads" not in texts(at)
    assert {t.label for t in at.text_input} == {"Username", "Password"}


def test_a_session_holding_a_live_token_stays_logged_in(app_db):
    now = datetime.now(UTC)
    with write_session(app_db) as session:
        revoke_token(session, digest=token_digest("someone-else's"),
                     expires_at=now + timedelta(days=7), now=now)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "rep"
    at.session_state["login_token"] = (token_digest("mine"), now + timedelta(days=7))

    at.run()

    assert not at.exception
    assert "Open leads" in texts(at)
