"""A rep typing the URL of any leader page into Chromium is told they have no access to it:
the page does not run, its name leaves no trace in their menu, and Streamlit's own "Page
not found" dialog does not cover the answer."""

import pytest
from playwright.sync_api import expect

from leaddash.models import Role
from leaddash.ui.nav import NO_ACCESS, PAGES, pages_for
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

REP_PAGES = {spec.script for spec in pages_for(Role.REP)}
LEADER_PAGES = [spec for spec in PAGES if spec.script not in REP_PAGES]
WAIT = 30_000


def _logged_in(browser, app_url: str, username: str):
    page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
    log_in(page, app_url, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)
    return page


def test_a_rep_typing_each_leader_page_url_is_told_they_have_no_access(app_url, browser, shot):
    # That each address is right (a role that may open the page gets it there) is the page
    # walk's to show: it opens every page of every role and checks its address and heading.
    rep = _logged_in(browser, app_url, "rep")
    for spec in LEADER_PAGES:
        rep.goto(f"{app_url}/{spec.url_path}")

        expect(rep.get_by_role("heading", level=1)).to_have_text([NO_ACCESS], timeout=WAIT)
        expect(rep.get_by_text("ask an admin to change your role")).to_be_visible()
        expect(rep.get_by_text("Open leads")).to_have_count(0)
        expect(rep.get_by_role("dialog", name="Page not found")).to_have_count(0)
        assert rep.url == f"{app_url}/{spec.url_path}"
        menu = rep.get_by_test_id("stSidebarNav")  # Home's inbox links say "SLA" too
        expect(menu.get_by_role("link", name=spec.title)).to_have_count(0)
    shot(rep, f"rep-at-{LEADER_PAGES[-1].url_path}-url")
    rep.context.close()
