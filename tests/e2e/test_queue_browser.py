"""My queue in Chromium at 1280×800, over a demo database of its own and the test clock
(LEADDASH_CLOCK_FILE, held still: nobody sleeps, the 30 seconds of Undo never run out
mid-test): the lead's name, deadline and answer buttons show without scrolling; a reload
keeps the chosen lead (it is in the URL); a decision is undone by the Undo beside it.

Screenshots: test-artifacts/screenshots/queue/NN-step.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from leaddash.db import read_session
from leaddash.models import Lead, Stage
from tests.e2e.conftest import (
    SHOTS,
    WAIT,
    demo_database,
    log_in,
    numbered_shots,
    served_app,
    settled,
)

pytestmark = pytest.mark.browser

FOLDER = SHOTS / "queue"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def e2e_database_url(tmp_path_factory) -> str:
    """Return a demo database of this module's own: a lead is decided here."""
    return demo_database(tmp_path_factory, "queue")


@pytest.fixture(scope="module")
def app_url(e2e_database_url, clock):
    """Start an app server on the test clock over this module's database; yield its URL."""
    with served_app(e2e_database_url, clock=clock) as url:
        yield url


@pytest.fixture(scope="module")
def shoot():
    """Return a function saving step NN's screenshot (the viewport, as the rep sees it)."""
    return numbered_shots(FOLDER, full_page=False)


def in_view(page: Page, locator) -> bool:
    """Return True when the element lies wholly inside the viewport as it is now."""
    box = locator.bounding_box(timeout=WAIT)
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def lead_in_url(page: Page) -> int:
    found = re.search(r"[?&]lead=(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def test_a_reload_keeps_the_lead_and_undo_puts_a_decision_back(
    browser, app_url, e2e_database_url, shoot
):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    log_in(page, app_url, "rep")
    page.goto(f"{app_url}/my-queue")
    heading = page.get_by_role("heading", level=3)
    expect(heading).to_be_visible(timeout=WAIT)
    settled(page)
    shoot(page, "first-sight")
    yes = page.get_by_role("button", name="Yes — meets the definition")
    assert all(in_view(page, x) for x in (heading, yes)), "the lead must show without scrolling"
    assert in_view(page, page.get_by_text(re.compile(r"left|overdue by|due")).first)

    # Go to the next lead, then reload: it stays chosen.
    first, first_name = lead_in_url(page), heading.inner_text()
    page.get_by_role("button", name="Next lead").click()
    page.wait_for_url(lambda url: f"lead={first}" not in url, timeout=WAIT)
    expect(heading).not_to_have_text(first_name, timeout=WAIT)
    settled(page)
    chosen, name = lead_in_url(page), heading.inner_text()
    page.reload()
    expect(heading).to_have_text(name, timeout=WAIT)
    settled(page)
    assert lead_in_url(page) == chosen
    shoot(page, "after-reload")

    yes.click()
    settled(page)
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible(timeout=WAIT)
    assert in_view(page, undo)
    shoot(page, "decided")
    engine_url = e2e_database_url
    assert _stage(engine_url, chosen) == Stage.VALIDATED

    undo.click()
    settled(page)
    expect(page.get_by_text("is back in your queue")).to_be_visible(timeout=WAIT)
    expect(heading).to_have_text(name)
    shoot(page, "undone")
    page.set_viewport_size({"width": 1440, "height": 900})
    settled(page)
    shoot(page, "undone-1440")
    assert _stage(engine_url, chosen) in (Stage.ACCEPTED, Stage.MQL)
    page.context.close()


def _stage(url: str, lead_id: int) -> str:
    from leaddash.db import make_engine

    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            return session.get(Lead, lead_id).stage
    finally:
        engine.dispose()
