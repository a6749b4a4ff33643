"""The lead page in Chromium: a lead's name in the Team queue opens its page in a new tab;
the page's search finds a lead; screenshots at 1280×800 and 1440×900."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from leaddash.db import read_session
from leaddash.models import OPEN_STAGES, Lead
from tests.e2e.conftest import log_in, settled

pytestmark = pytest.mark.browser
WAIT = 30_000
SIZES = ({"width": 1280, "height": 800}, {"width": 1440, "height": 900})


def _an_open_lead(db) -> Lead:
    """Return the demo's first open lead with a company (by id: leads other browser tests
    add to the shared database come later, and may carry hostile names)."""
    with read_session(db) as session:
        return session.exec(
            select(Lead)
            .where(Lead.stage.in_(list(OPEN_STAGES)), Lead.company.is_not(None))
            .order_by(Lead.id)
        ).first()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_a_lead_page_opens_from_its_address_and_from_the_search(app_url, browser, db, shot, size):
    lead = _an_open_lead(db)
    name = f"{lead.first_name or ''} {lead.last_name or ''}".strip()
    page = browser.new_context(viewport=size).new_page()
    log_in(page, app_url, "admin")

    page.goto(f"{app_url}/lead?id={lead.id}")

    expect(page.get_by_role("heading", name=f"#{lead.id} {name}")).to_be_visible(timeout=WAIT)
    settled(page)
    shot(page, "lead")
    page.get_by_role("textbox", name="Find a lead").fill(lead.company)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=f"#{lead.id} {name}", exact=False).first).to_be_visible(
        timeout=WAIT
    )
    settled(page)
    shot(page, "search")


def test_a_lead_name_in_the_team_queue_opens_its_page(app_url, browser, shot):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    log_in(page, app_url, "admin")
    page.goto(f"{app_url}/team-queue")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible(timeout=WAIT)
    settled(page)
    shot(page, "team-queue")
    box = grid.bounding_box()
    # The grid is a canvas: the first row's Lead cell, after the tick and Status columns.
    cell = (box["x"] + 130, box["y"] + 52)
    page.mouse.move(*cell)
    page.wait_for_timeout(300)  # the grid draws a link's hover state before it takes a click
    with context.expect_page(timeout=WAIT) as opened:
        page.mouse.click(*cell)
    lead_page = opened.value
    expect(lead_page.get_by_role("heading", level=1, name="Lead")).to_be_visible(timeout=WAIT)
    assert "/lead?id=" in lead_page.url
