"""The login throttle sees the browser's address in a real app: X-Forwarded-For is read only
when LEADDASH_TRUSTED_PROXY says a proxy stands in front, never otherwise."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from leaddash.db import make_engine, read_session
from leaddash.models import LoginFailure, User
from tests.e2e.conftest import WAIT, log_in, served_app

pytestmark = pytest.mark.browser

CLIENT = "203.0.113.77"  # what the (pretended) proxy says the browser's address is


def failure_addresses(engine: Engine, username: str) -> list[str | None]:
    """Wait until the app has counted a failed login for `username`; return the addresses."""
    query = select(LoginFailure.address).where(LoginFailure.username == username)
    for _ in range(300):
        with read_session(engine) as session:
            found = session.exec(query).all()
        if found:
            return list(found)
        time.sleep(0.1)
    raise AssertionError(f"the app never counted a failed login for {username}")


def wrong_login(browser, url: str, username: str) -> None:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": CLIENT})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(username, timeout=WAIT)
    page.get_by_role("textbox", name="Password").fill("a-wrong-guess")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Wrong username or password").wait_for(timeout=WAIT)
    context.close()


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(app_url, db, browser):
    wrong_login(browser, app_url, "nobody-untrusted")

    # The connection's own address counts, never the header's: the browser reached the app
    # on this machine, which Streamlit gives as no address (or as 127.0.0.1).
    assert failure_addresses(db, "nobody-untrusted") in ([None], ["127.0.0.1"])


def test_behind_a_trusted_proxy_failures_and_good_logins_keep_the_forwarded_address(
    e2e_database_url, browser, monkeypatch, shot
):
    monkeypatch.setenv("LEADDASH_TRUSTED_PROXY", "1")
    engine = make_engine(e2e_database_url)
    with served_app(e2e_database_url) as url:
        wrong_login(browser, url, "nobody-trusted")
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": CLIENT})
        page = context.new_page()
        log_in(page, url, "marketing")
        page.get_by_role("button", name="Log out").wait_for(timeout=WAIT)
        shot(page, "logged-in-behind-proxy")
        context.close()

    assert failure_addresses(engine, "nobody-trusted") == [CLIENT]
    with read_session(engine) as session:
        known = session.exec(
            select(User.last_login_address).where(User.username == "marketing")
        ).one()
    engine.dispose()
    assert known == CLIENT
