"""A team's CRM history brought in through the Import page in Chromium: an opportunity
export with its own mapping file, the preview of how it will load, a refused row naming
both dates, the import, and the win rate by rep on the Funnel page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from leaddash.db import read_session
from leaddash.models import Lead, StageEvent, utcnow
from tests.e2e.conftest import WAIT, grid_cell, settled

pytestmark = pytest.mark.browser

MAPPING = """fields:
  external_id: opportunity_id
  owner: sales_agent
  stage: deal_stage
  opportunity_at: engage_date
  stage_at: close_date
  amount: close_value
stage_values: {Prospecting: sql, Engaging: opportunity, Won: won, Lost: lost}
"""
HEADER = "opportunity_id,sales_agent,deal_stage,engage_date,close_date,close_value"
# Recent dates, so the Funnel page's default range (the last six months) holds them: the
# served app reads the real clock, so they are counted from its day (UTC, as the app does).
SERVED_TODAY = utcnow().date()
ENGAGED, CLOSED = SERVED_TODAY - timedelta(days=120), SERVED_TODAY - timedelta(days=40)
DEALS = (
    f"E2E-H1,Maria Lopez,Won,{ENGAGED},{CLOSED},1054",
    f"E2E-H2,maria lopez,Lost,{ENGAGED},{CLOSED},0",
    f"E2E-H3,Maria Lopez,Lost,{ENGAGED},{CLOSED + timedelta(days=3)},0",
    f"E2E-H4,Daniel Kim,Won,{ENGAGED},{CLOSED},4514",
    f"E2E-H5,Daniel Kim,Engaging,{ENGAGED},,",
    "E2E-H6,Daniel Kim,Prospecting,,,",
)
BACKWARDS = f"E2E-H7,Daniel Kim,Won,{CLOSED},{ENGAGED},900"


def _files(folder: Path, rows: tuple[str, ...]) -> tuple[Path, Path]:
    deals, mapping = folder / "sales_pipeline.csv", folder / "pipeline.yaml"
    deals.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    return deals, mapping


def _upload(page: Page, deals: Path, mapping: Path) -> None:
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(deals)
    page.get_by_role("combobox", name="How are the columns named?").click()
    page.get_by_role("option", name="Upload a mapping file (YAML)", exact=True).click()
    uploader = page.get_by_test_id("stFileUploader").nth(1)
    uploader.locator("input[type=file]").set_input_files(mapping)


def test_an_opportunity_export_loads_as_history_and_shows_its_win_rates(
    open_as, db, tmp_path, shot
):
    page = open_as("marketing_leader", "/import", "Import")
    _upload(page, *_files(tmp_path, (*DEALS, BACKWARDS)))

    expect(
        page.get_by_text(
            "History: each lead is loaded at the stages and on the dates the "
            "file gives (opportunity_at, stage_at)",
            exact=False,
        )
    ).to_be_visible(timeout=WAIT)
    expect(
        page.get_by_text(
            "It would give 6 new leads, 0 updated, 0 unchanged, with 10 stage "
            "changes of their history, and skip 1 bad rows.",
            exact=False,
        )
    ).to_be_visible(timeout=WAIT)
    settled(page)
    problems = page.get_by_test_id("stDataFrame").filter(
        has=page.locator("thead th", has_text="What to do")
    )
    expect(grid_cell(problems, 0, "Problem")).to_have_text(
        f"The lead reached won on {ENGAGED}, before it reached opportunity on {CLOSED} "
        "(engage_date): the dates disagree.",
        timeout=WAIT,
    )  # the days as the file wrote them
    problems.scroll_into_view_if_needed()
    shot(page, "01-preview-with-a-backwards-row")
    page.get_by_text("Skip the 1 bad rows and import the rest").click()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported sales_pipeline.csv: 6 new leads", exact=False)).to_be_visible(
        timeout=WAIT
    )
    settled(page)
    shot(page, "02-imported")

    with read_session(db) as session:
        won = session.exec(select(Lead).where(Lead.external_id == "E2E-H1")).one()
        stages = session.exec(
            select(StageEvent.to_stage)
            .where(StageEvent.lead_id == won.id)
            .order_by(StageEvent.occurred_at, StageEvent.id)
        ).all()
        refused = session.exec(select(Lead).where(Lead.external_id == "E2E-H7")).first()
    assert (won.stage, won.is_history, stages) == ("won", True, ["inquiry", "opportunity", "won"])
    assert refused is None

    funnel = open_as("sales_leader", "/funnel", "Funnel")
    settled(funnel)
    # Typed into the box and chosen with Enter: a dropdown list can close in a rerun.
    funnel.get_by_role("combobox", name="Win rate by").click()
    funnel.keyboard.type("Rep")
    funnel.keyboard.press("Enter")
    settled(funnel)
    deals = funnel.get_by_test_id("stDataFrame").filter(
        has=funnel.locator("thead th", has_text="Win rate")
    )
    expect(deals.locator("tbody tr").filter(has_text="Maria Lopez")).to_have_count(1, timeout=WAIT)
    deals.scroll_into_view_if_needed()
    shot(funnel, "03-win-rate-by-rep")
