"""The login cookie and ended logins as a person meets them in Chromium: the cookie is the
server's (no script sees it), a reload keeps the login, and a tab whose login ended in
another tab, or whose account was deactivated, is refused at its next click or download
with the reason, writing and sending nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.models import Touch
from leaddash.users import set_active
from tests.e2e.conftest import COOKIE, WAIT, log_in, open_tab, settled

pytestmark = pytest.mark.browser

LOGGED_OUT = "Your login has ended (you logged out in another tab or window): log in again."
DEACTIVATED = "Your login has ended (your account was deactivated): log in again."


def touches(db) -> int:
    with read_session(db) as session:
        return session.exec(select(func.count()).select_from(Touch)).one()


def login_cookie(context) -> list[dict]:
    """Return the login cookie of a browser context, as Playwright lists cookies."""
    return [c for c in context.cookies() if c["name"] == COOKIE]


def logged_in_context(browser, url: str, username: str):
    """Return a browser context logged in as `username` (its cookie set), and its page."""
    context = browser.new_context(viewport={"width": 1300, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    log_in(page, url, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)
    settled(page)
    return context, page


def test_the_login_cookie_is_httponly_strict_and_no_script_sees_it(app_url, browser, shot):
    context, page = logged_in_context(browser, app_url, "rep")

    [cookie] = login_cookie(context)
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")
    assert cookie["secure"] is False  # served over plain http here; Secure under TLS
    assert COOKIE not in page.evaluate("document.cookie")
    shot(page, "logged-in")

    page.reload()
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)
    assert COOKIE not in page.evaluate("document.cookie")
    shot(page, "after-reload")
    context.close()


def test_after_a_logout_in_one_tab_the_other_tabs_click_is_refused(app_url, browser, db, shot):
    context, home = logged_in_context(browser, app_url, "rep")
    queue = context.new_page()
    queue.goto(f"{app_url}/my-queue")
    attempt = queue.get_by_role("button", name="Log attempt")
    expect(attempt).to_be_visible(timeout=WAIT)
    settled(queue)
    before = touches(db)

    home.get_by_role("button", name="Log out").click()
    expect(home.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    expect(home.get_by_text("Your login has ended")).to_have_count(0)  # no news to them
    attempt.click()

    expect(queue.get_by_text(LOGGED_OUT)).to_be_visible(timeout=WAIT)
    expect(queue.get_by_role("button", name="Log in")).to_be_visible()
    assert touches(db) == before
    assert not login_cookie(context)  # expired by the server
    shot(queue, "other-tab-refused")
    context.close()


def test_a_stale_tab_does_not_log_out_the_login_made_since(app_url, browser, shot):
    context, first = logged_in_context(browser, app_url, "rep")
    stale = context.new_page()
    stale.goto(f"{app_url}/my-queue")
    expect(stale.get_by_role("button", name="Log attempt")).to_be_visible(timeout=WAIT)
    settled(stale)
    with first.expect_response(lambda r: "/_leaddash/logout" in r.url, timeout=WAIT):
        first.get_by_role("button", name="Log out").click()
    log_in(first, app_url, "rep")  # logged in again: a new login, a new cookie
    expect(first.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)

    with stale.expect_response(lambda r: "/_leaddash/logout" in r.url, timeout=WAIT) as asked:
        stale.get_by_role("link", name="Home").click()  # its page asks to drop its cookie
    expect(stale.get_by_text(LOGGED_OUT)).to_be_visible(timeout=WAIT)
    assert asked.value.status == 204

    first.reload()
    expect(first.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)
    assert login_cookie(context)
    shot(first, "new-login-kept")
    context.close()


def test_a_logged_out_tab_downloads_nothing(app_url, browser, shot):
    context, home = logged_in_context(browser, app_url, "sales_manager")
    queue = context.new_page()
    queue.goto(f"{app_url}/team-queue")
    expect(queue.get_by_role("heading", name="Team queue", level=1)).to_be_visible(timeout=WAIT)
    open_tab(queue, "Export for CRM")
    downloads = []
    queue.on("download", lambda download: downloads.append(download))

    home.get_by_role("button", name="Log out").click()
    expect(home.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    queue.get_by_role("button", name="Download the queue (CSV)").click()

    expect(queue.get_by_text("Failed to generate file for download")).to_be_visible(timeout=WAIT)
    assert downloads == []
    shot(queue, "download-refused")
    queue.get_by_role("link", name="My queue").click()  # the next click says why
    expect(queue.get_by_text(LOGGED_OUT)).to_be_visible(timeout=WAIT)
    shot(queue, "download-refused-then-told")
    context.close()


def test_a_deactivated_users_open_tab_is_refused_and_reactivation_does_not_revive_it(
    app_url, browser, db, shot
):
    context, page = logged_in_context(browser, app_url, "maria.lopez")
    page.goto(f"{app_url}/my-queue")
    expect(page.get_by_role("heading", name="My queue", level=1)).to_be_visible(timeout=WAIT)
    settled(page)
    copied = login_cookie(context)
    try:
        with write_session(db) as session:  # as `python -m leaddash deactivate-user` does
            set_active(session, actor=CLI_ACTOR, username="maria.lopez", active=False)
        page.get_by_role("link", name="Lead definition").click()

        expect(page.get_by_text(DEACTIVATED)).to_be_visible(timeout=WAIT)
        shot(page, "deactivated")
    finally:
        with write_session(db) as session:
            set_active(session, actor=CLI_ACTOR, username="maria.lopez", active=True)
    again = browser.new_context(viewport={"width": 1300, "height": 900})
    again.add_cookies(copied)  # the cookie as it was before, on the reactivated account
    old = again.new_page()
    old.goto(f"{app_url}/my-queue")

    expect(old.get_by_text(DEACTIVATED)).to_be_visible(timeout=WAIT)
    expect(old.get_by_role("button", name="Log in")).to_be_visible()
    expect(old.get_by_role("heading", name="My queue", level=1)).to_have_count(0)
    shot(old, "reactivated-old-cookie")
    context.close()
    again.close()
