"""Lead intake and the queues as people use them in Chromium: a Salesforce export uploaded
and imported, a broken file refused row by row, answers recorded in My queue, a lead
reassigned in Team queue, and lead text that looks like HTML shown as text."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func
from sqlmodel import select

from leaddash.auth import find_active_actor
from leaddash.db import read_session
from leaddash.models import Lead, Stage
from leaddash.queue.reads import rep_queue
from leaddash.queue.team import QueueFilter, team_queue
from tests.e2e.conftest import WAIT
from tests.e2e.conftest import grid_cell as _cell
from tests.e2e.conftest import metric_value as _metric
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.browser

GRID_HEADER = 35  # Streamlit's dataframe header and row height, in CSS pixels
GRID_ROW = 35
SALESFORCE_HEADER = (
    "Id,FirstName,LastName,Email,Company,Title,LeadSource,Status,Industry,"
    "NumberOfEmployees,Country,CreatedDate"
)
GOOD_ROWS = (
    (
        "00QE2E000000001AAA,Ines,Duarte,ines.duarte@e2e-northwind.example,Northwind E2E,"
        "VP Marketing,Webinar,Open - Not Contacted,Software,250,US,2025-03-04T09:15:00.000+0000"
    ),
    (
        "00QE2E000000002AAA,Kofi,Mensah,kofi.mensah@e2e-contoso.example,Contoso E2E,CEO,"
        "Paid Search,Working - Contacted,Healthcare,1200,GB,2025-03-05T14:00:00.000+0000"
    ),
    (
        "00QE2E000000003AAA,Lena,Berg,lena.berg@e2e-fabrikam.example,Fabrikam E2E,Student,"
        "Organic,Open - Not Contacted,Education,15,DE,2025-03-06T08:30:00.000+0000"
    ),
)
BROKEN_ROWS = (
    (
        "00QE2E000000011AAA,Omar,Haddad,not-an-email,Haddad E2E,CTO,Webinar,"
        "Open - Not Contacted,Software,300,US,2025-03-04T09:15:00.000+0000"
    ),
    (
        "00QE2E000000012AAA,Pia,Lund,pia.lund@e2e-lund.example,Lund E2E,CFO,Webinar,"
        "Open - Not Contacted,Software,300,SE,the 5th of May"
    ),
    (
        "00QE2E000000013AAA,Ravi,Iyer,ravi.iyer@e2e-iyer.example,Iyer E2E,CEO,Webinar,"
        "Open - Not Contacted,Software,300,IN,2025-03-06T08:30:00.000+0000"
    ),
)
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_COMPANY = "<script>alert(2)</script>"


def _csv(folder: Path, name: str, rows: tuple[str, ...]) -> Path:
    path = folder / name
    path.write_text("\n".join((SALESFORCE_HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def _lead_count(engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Lead)).one()


def _actor(engine, username: str):
    with read_session(engine) as session:
        return find_active_actor(session, username)


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _upload_salesforce_export(page: Page, path: Path) -> None:
    """Put the file in the page's real uploader, then pick the Salesforce preset."""
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
    _choose(page, "How are the columns named?", "Salesforce export (preset)")


def test_marketing_imports_a_salesforce_export_after_a_clean_preview(open_as, db, tmp_path, shot):
    before = _lead_count(db)
    page = open_as("marketing", "/import", "Import")
    _upload_salesforce_export(page, _csv(tmp_path, "salesforce-e2e.csv", GOOD_ROWS))

    expect(page.get_by_text("It would give 3 new leads, 0 updated, 0 unchanged.")).to_be_visible(
        timeout=WAIT
    )
    preview = page.get_by_test_id("stDataFrame").first
    expect(_cell(preview, 0, "Id")).to_have_text("00QE2E000000001AAA")
    expect(_cell(preview, 0, "Email")).to_have_text("ines.duarte@e2e-northwind.example")
    expect(page.get_by_role("heading", name="Problems")).to_have_count(0)
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_enabled()
    shot(page, "preview")
    assert _lead_count(db) == before

    page.get_by_role("button", name="Import", exact=True).click()

    expect(
        page.get_by_text("Imported salesforce-e2e.csv: 3 new leads, 0 updated, 0 unchanged.")
    ).to_be_visible(timeout=WAIT)
    shot(page, "imported")
    assert _lead_count(db) == before + 3
    with read_session(db) as session:
        ines = session.exec(select(Lead).where(Lead.external_id == "00QE2E000000001AAA")).one()
    # The preset picked after the upload maps every Salesforce column, not only those whose
    # names match our fields.
    assert (
        ines.first_name,
        ines.last_name,
        ines.employees,
        ines.source,
        f"{ines.created_at:%Y-%m-%d}",
    ) == ("Ines", "Duarte", 250, "Webinar", "2025-03-04")


def test_a_broken_file_lists_each_problem_by_row_and_imports_nothing(open_as, db, tmp_path, shot):
    before = _lead_count(db)
    page = open_as("marketing_leader", "/import", "Import")
    _upload_salesforce_export(page, _csv(tmp_path, "broken-e2e.csv", BROKEN_ROWS))

    expect(page.get_by_role("heading", name="Problems (2 in 2 rows)")).to_be_visible(timeout=WAIT)
    problems = page.get_by_test_id("stDataFrame").nth(1)
    expect(_cell(problems, 0, "Row")).to_have_text("2")
    expect(_cell(problems, 0, "Column")).to_have_text("Email")
    expect(_cell(problems, 0, "Problem")).to_have_text("'not-an-email' is not an email address.")
    expect(_cell(problems, 1, "Row")).to_have_text("3")
    expect(_cell(problems, 1, "Column")).to_have_text("CreatedDate")
    expect(_cell(problems, 1, "Problem")).to_contain_text("'the 5th of May' is not a date")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    shot(page, "problems")
    assert _lead_count(db) == before


def test_rep_validates_in_one_click_and_disqualifies_in_two(open_as, db, shot):
    rep = _actor(db, "rep")
    with read_session(db) as session:
        queue = rep_queue(session, actor=rep)
    (first, second), names = queue["id"].iloc[:2].astype(int), queue["name"].iloc[:2]
    page = open_as("rep", "/my-queue", "My queue")
    expect(_metric(page, "Open leads")).to_have_text(str(len(queue)), timeout=WAIT)
    expect(page.get_by_role("heading", name=names.iloc[0], level=3)).to_be_visible()
    clicks = []

    def click(locator: Locator) -> None:
        clicks.append(locator)
        locator.click()

    click(page.get_by_role("button", name="Yes — meets the definition"))
    expect(
        page.get_by_text(
            f"{names.iloc[0]} meets the definition: validated. It has left your queue."
        )
    ).to_be_visible(timeout=WAIT)
    expect(_metric(page, "Open leads")).to_have_text(str(len(queue) - 1))
    assert len(clicks) == 1
    shot(page, "validated")

    # The decided lead stays chosen (its words and Undo beside it); the rep moves on
    # explicitly, never by a rerun.
    page.get_by_role("button", name="Next lead").click()
    expect(page.get_by_role("heading", name=names.iloc[1], level=3)).to_be_visible(timeout=WAIT)
    click(page.get_by_role("radio", name="No need or no project"))
    click(page.get_by_role("button", name="Disqualify", exact=True))
    expect(
        page.get_by_text(
            f"{names.iloc[1]} disqualified (No need or no project). It has left your queue."
        )
    ).to_be_visible(timeout=WAIT)
    expect(_metric(page, "Open leads")).to_have_text(str(len(queue) - 2))
    assert len(clicks) == 3
    shot(page, "disqualified")
    assert lead_now(db, first).stage == Stage.VALIDATED
    assert lead_now(db, second).stage == Stage.DISQUALIFIED


def test_manager_ticks_a_row_and_reassigns_it_to_another_rep_of_the_team(open_as, db, shot):
    manager = _actor(db, "sales_manager")
    with read_session(db) as session:
        queue = team_queue(session, actor=manager, where=QueueFilter(team_id=manager.team_id))
    lead_id, owner = int(queue["id"].iloc[0]), queue["owner"].iloc[0]
    target = _actor(db, "daniel.kim" if owner == "Maria Lopez" else "maria.lopez")
    page = open_as("sales_manager", "/team-queue", "Team queue")
    grid = page.get_by_test_id("stDataFrame").first
    # The name links to the lead's page: the cell holds the page's address, then the name.
    expect(_cell(grid, 0, "Lead")).to_have_text(
        f"lead?id={lead_id}#{queue['name'].iloc[0]}", timeout=WAIT
    )

    grid.click(position={"x": 18, "y": GRID_HEADER + GRID_ROW / 2})
    expect(page.get_by_text(f"Selected: {queue['name'].iloc[0]}")).to_be_visible(timeout=WAIT)
    _choose(page, "Give the 1 lead selected to", f"{target.name} (East)")
    page.get_by_role("button", name="Reassign 1 lead").click()

    expect(page.get_by_text(f"Reassigned 1 lead to {target.name} (East).")).to_be_visible(
        timeout=WAIT
    )
    shot(page, "reassigned")
    assert lead_now(db, lead_id).owner_id == target.id


def test_lead_text_that_looks_like_html_is_shown_as_text(open_as, dialogs, db, shot):
    rep = _actor(db, "rep")
    lead = make_lead(
        db, rep, first=HOSTILE_NAME, last="", company=HOSTILE_COMPANY, due_in=-timedelta(days=400)
    )

    page = open_as("rep", "/my-queue", "My queue")
    expect(page.get_by_role("heading", name=HOSTILE_NAME, level=3)).to_be_visible(timeout=WAIT)
    # The queue's table (below the chosen lead, whose score table comes first).
    queue_grid = (
        page.get_by_test_id("stDataFrame")
        .filter(has=page.locator("thead th").filter(has_text=re.compile(r"^Company$")))
        .first
    )
    expect(_cell(queue_grid, 0, "Company")).to_have_text(HOSTILE_COMPANY, timeout=WAIT)
    shot(page, "my-queue")

    manager = open_as("sales_manager", "/team-queue", "Team queue")
    grid = manager.get_by_test_id("stDataFrame").first
    expect(_cell(grid, 0, "Lead")).to_have_text(f"lead?id={lead.id}#{HOSTILE_NAME}", timeout=WAIT)
    expect(_cell(grid, 0, "Company")).to_have_text(HOSTILE_COMPANY)
    shot(manager, "team-queue")

    for shown in (page, manager):
        expect(shown.locator("main img[src='x']")).to_have_count(0)
    assert dialogs == []
    assert lead_now(db, lead.id).first_name == HOSTILE_NAME
