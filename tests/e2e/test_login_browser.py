"""Login, the cookie, role navigation and logout as a person sees them in Chromium."""

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

from leaddash.db import make_engine, read_session
from leaddash.models import LoginFailure
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def test_rep_logs_in_sees_queue_and_stays_logged_in_after_reload(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    log_in(page, app_url, "rep")
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    shot(page, "rep-home")
    assert "leaddash_auth" in {c["name"] for c in context.cookies()}
    page.reload()
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)
    context.close()


def test_rep_cannot_open_the_admin_page_by_url(app_url, browser, shot):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, app_url, "rep")
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    page.goto(f"{app_url}/users")
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Users and teams")).to_have_count(0)
    shot(page, "rep-at-users-url")
    context.close()


def test_admin_opens_users_page_from_the_menu(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    log_in(page, app_url, "admin")
    page.get_by_role("link", name="Users and teams").click(timeout=30_000)
    expect(page.get_by_role("heading", name="Users and teams")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("tab", name="Add a user")).to_be_visible()
    page.wait_for_timeout(1500)  # let the table's canvas paint before the screenshot
    shot(page, "admin-users")
    context.close()


def test_wrong_password_shows_a_plain_message(app_url, browser, shot):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, app_url, "rep", "not-the-password")
    expect(page.get_by_text("Wrong username or password")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    shot(page, "wrong-password")
    context.close()


def test_logout_returns_to_the_login_form(app_url, browser, shot):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, app_url, "sales_manager")
    page.get_by_role("button", name="Log out").click(timeout=30_000)
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    shot(page, "after-logout")
    context.close()


def test_a_reload_or_a_link_keeps_the_page_the_user_asked_for(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    log_in(page, app_url, "admin")
    page.get_by_role("link", name="Users and teams").click(timeout=30_000)
    expect(page.get_by_role("heading", name="Users and teams")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("heading", name="Users and teams")).to_be_visible(timeout=30_000)
    other_tab = context.new_page()
    other_tab.goto(f"{app_url}/users")
    expect(other_tab.get_by_role("heading", name="Users and teams")).to_be_visible(timeout=30_000)
    shot(other_tab, "link-in-new-tab")
    context.close()


def test_logging_out_and_in_again_in_one_tab(app_url, browser):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, app_url, "sales_manager")
    page.get_by_role("button", name="Log out").click(timeout=30_000)
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    page.get_by_role("textbox", name="Username").fill("rep")
    page.get_by_role("textbox", name="Password").fill("leaddash-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    context.close()


def test_a_login_cookie_copied_before_logout_no_longer_logs_in(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    log_in(page, app_url, "rep")
    expect(page.get_by_text("Open leads")).to_be_visible(timeout=30_000)
    copied = [c for c in context.cookies() if c["name"] == "leaddash_auth"]
    other_browser = browser.new_context(viewport={"width": 1300, "height": 900})
    other_browser.add_cookies(copied)
    other_tab = other_browser.new_page()
    other_tab.goto(app_url)
    expect(other_tab.get_by_text("Open leads")).to_be_visible(timeout=30_000)  # it works now

    page.get_by_role("button", name="Log out").click(timeout=30_000)
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    fresh = browser.new_context(viewport={"width": 1300, "height": 900})
    fresh.add_cookies(copied)
    fresh_tab = fresh.new_page()
    fresh_tab.goto(app_url)

    expect(fresh_tab.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    expect(fresh_tab.get_by_text("Open leads")).to_have_count(0)
    assert "leaddash_auth" in {c["name"] for c in fresh.cookies()}
    shot(fresh_tab, "copied-cookie-after-logout")
    other_tab.reload()
    expect(other_tab.get_by_role("textbox", name="Username")).to_be_visible(timeout=30_000)
    shot(other_tab, "other-browser-after-reload")
    for ctx in (context, other_browser, fresh):
        ctx.close()


def failures_recorded(database_url: str, username: str, count: int) -> None:
    """Wait until the app has counted `count` failed logins for `username`."""
    engine = make_engine(database_url)
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)
    try:
        for _ in range(300):
            with read_session(engine) as session:
                if session.exec(query).one() >= count:
                    return
            time.sleep(0.1)
        raise AssertionError(f"the app never counted {count} failed logins for {username}")
    finally:
        engine.dispose()


def test_repeated_wrong_passwords_are_told_how_long_to_wait(app_url, e2e_database_url, browser,
                                                            shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(app_url)
    for attempt in range(6):
        page.get_by_role("textbox", name="Username").fill("no-such-user", timeout=30_000)
        page.get_by_role("textbox", name="Password").fill(f"wrong-guess-{attempt}")
        page.get_by_role("button", name="Log in").click()
        if attempt < 5:
            failures_recorded(e2e_database_url, "no-such-user", attempt + 1)

    expect(page.get_by_text("Too many failed logins for this username.")).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text("Wrong username or password")).to_have_count(0)
    shot(page, "throttled")
    context.close()
