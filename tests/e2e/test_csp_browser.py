"""The content security policy holds in Chromium: every page of the app (every tab clicked,
the team queue's CSV downloaded) reports no violation, in the page or in its frames.
Each role logs in, opens (by its menu, as a user does) its own Home (each role's Home
differs) and the pages no role before it in ROLES has walked, so every page is walked
once, by the first role that may open it (a page draws the same components for every
role; only the rows differ). Screenshots: the login page and each role's last page."""

from __future__ import annotations

import pytest

from leaddash.ui.nav import PAGES, PageSpec, pages_for
from tests.e2e.conftest import TALL, WAIT, go_to, log_in, settled

pytestmark = pytest.mark.browser

# In this order, a page is walked by the role that works it most: the rep's queue by a rep,
# the team queue and dashboards by a manager, the agreement by leaders, admin pages by admin.
ROLES = ["rep", "sales_manager", "sales_leader", "marketing_leader", "marketing", "admin"]
# Each frame reports its violations to the top page, which keeps them across its reruns.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  const top = window.top;
  (top.__csp = top.__csp || []).push(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI}`);
});
"""


def _violations(page, console: list[str]) -> list[str]:
    """Return the violations reported since the last call (events and console lines)."""
    reported = page.evaluate("window.__csp || []") + console
    page.evaluate("window.__csp = []")
    console.clear()
    return reported


def _finished(page) -> None:
    """Wait until the page's run is over (settled reads the app's own run state) and every
    report queued by then has been delivered: a violation event is a task queued after what
    caused it, so a task queued now runs after it, in the page and in each of its frames."""
    settled(page)
    for frame in page.frames:
        frame.evaluate("() => new Promise((done) => setTimeout(done, 0))")


def _click_every_tab(page) -> None:
    tabs = page.get_by_role("tab")
    for i in range(tabs.count()):
        tabs.nth(i).click(timeout=WAIT)
        settled(page)


def _download_queue(page) -> None:
    # The file is made when asked for (a deferred download): on a machine loaded by both
    # test processes' servers and browsers that took over WAIT once, so it gets twice that.
    settled(page)
    with page.expect_download(timeout=2 * WAIT) as download:
        page.get_by_role("button", name="Download the queue (CSV)").click()
    assert download.value.suggested_filename == "team-queue.csv"


def _walk(role: str) -> list[PageSpec]:
    """Return the pages `role` walks: Home, and those no earlier role in ROLES may open."""
    walked = {p.url_path for earlier in ROLES[: ROLES.index(role)] for p in pages_for(earlier)}
    return [p for p in pages_for(role) if p.url_path == "home" or p.url_path not in walked]


def test_every_page_is_walked_by_some_role():
    every_page = {p.url_path for p in PAGES}

    walks = {role: {p.url_path for p in _walk(role)} for role in ROLES}

    assert set().union(*walks.values()) == every_page
    assert {"home", "my-queue"} <= walks["rep"]
    assert "team-queue" in walks["sales_manager"]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_breaks_the_content_security_policy(role, app_url, browser, shot):
    context = browser.new_context(viewport=TALL)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None
    )
    found: dict[str, list[str]] = {}

    log_in(page, app_url, role)
    page.get_by_role("button", name="Log out").wait_for(timeout=WAIT)
    found["login"] = _violations(page, console)
    for spec in _walk(role):
        go_to(page, app_url, role, spec)
        _click_every_tab(page)
        if spec.url_path == "team-queue":
            _download_queue(page)
        _finished(page)
        found[spec.url_path] = _violations(page, console)
    shot(page, f"{role}-{spec.url_path}")
    context.close()

    assert {where: said for where, said in found.items() if said} == {}
    assert len(found) == len(_walk(role)) + 1


def test_the_login_page_and_its_cookie_frame_run_under_the_policy(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None
    )

    page.goto(app_url)
    page.get_by_role("textbox", name="Username").wait_for(timeout=WAIT)
    settled(page)
    shot(page, "login")
    log_in(page, app_url, "rep")  # waits for the cookie the login's inline script fetches
    settled(page)
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    violations = _violations(page, console)
    context.close()

    assert cookies["leaddash_auth"]["httpOnly"]  # the inline script ran and got the cookie
    assert violations == []
