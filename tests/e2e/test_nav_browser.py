"""Navigation in Chromium: every page of a role is in the menu without "View more", a
dashboard's filters survive a reload (they live in the address), and a forbidden or unknown
address says so."""

import re

import pytest
from playwright.sync_api import expect

from leaddash.models import Role
from leaddash.ui.nav import NO_ACCESS, pages_for
from tests.e2e.conftest import log_in, menu_entry, settled

pytestmark = pytest.mark.browser

WAIT = 30_000
SIZES = [{"width": 1280, "height": 800}, {"width": 1440, "height": 900}]


def _logged_in(browser, app_url: str, username: str, viewport: dict):
    page = browser.new_context(viewport=viewport).new_page()
    log_in(page, app_url, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)
    return page


@pytest.mark.parametrize("viewport", SIZES, ids=lambda v: f"{v['width']}x{v['height']}")
def test_the_admins_menu_shows_every_page_without_view_more(app_url, browser, shot, viewport):
    page = _logged_in(browser, app_url, "admin", viewport)

    for spec in (p for p in pages_for(Role.ADMIN) if not p.hidden):  # the lead page: by links
        expect(menu_entry(page, spec.title)).to_be_visible()
    expect(page.get_by_text(re.compile(r"View \d+ more"))).to_have_count(0)
    shot(page, f"admin-menu-{viewport['width']}")
    page.context.close()


def test_a_reload_keeps_the_funnels_filters(app_url, browser, shot):
    page = _logged_in(browser, app_url, "sales_leader", SIZES[0])
    page.goto(f"{app_url}/funnel")
    expect(page.get_by_role("heading", name="Funnel", level=1)).to_be_visible(timeout=WAIT)
    settled(page)

    page.get_by_test_id("stSelectbox").filter(has_text="Rep").click()
    page.get_by_role("option", name="Sam Rivera").click()
    expect(page).to_have_url(re.compile(r"[?&]rep=\d+"), timeout=WAIT)
    settled(page)
    chosen = page.url
    page.reload()

    expect(page.get_by_role("heading", name="Funnel", level=1)).to_be_visible(timeout=WAIT)
    settled(page)
    expect(page.get_by_role("combobox", name="Rep")).to_have_value("Sam Rivera")
    assert page.url == chosen
    shot(page, "funnel-after-reload")
    page.context.close()


def test_forbidden_and_unknown_addresses_say_so(app_url, browser, shot):
    page = _logged_in(browser, app_url, "rep", SIZES[0])

    page.goto(f"{app_url}/users")
    expect(page.get_by_role("heading", level=1)).to_have_text([NO_ACCESS], timeout=WAIT)
    expect(page.get_by_role("dialog", name="Page not found")).to_have_count(0)
    shot(page, "rep-at-users")

    page.goto(f"{app_url}/no-such-page")
    expect(page.get_by_text("There is no page at /no-such-page.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("dialog", name="Page not found")).to_have_count(0)
    assert page.url == f"{app_url}/no-such-page"
    shot(page, "rep-at-unknown-address")
    page.context.close()
