"""The joint session as the people in it see it in Chromium, over a database of its own:
marketing's leader edits and proposes a definition, sales' leader (in a second browser)
reads the change and signs, marketing signs and the version is active; a rep answers two
overdue leads and the East manager sees SLA compliance move by exactly those answers.

Screenshots: test-artifacts/screenshots/joint-session/NN-step.png, one per step."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from leaddash.agreements import describe_change, diff_versions
from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import scorecard
from leaddash.auth import find_active_actor
from leaddash.core.times import as_utc
from leaddash.db import read_session
from leaddash.fact_tables import LeadPass
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Stage
from leaddash.queue.reads import rep_queue
from leaddash.ui.filters import default_range
from leaddash.ui.metrics_cache import now_slot
from tests.e2e.conftest import (
    SHOTS,
    WAIT,
    demo_database,
    grid_cell,
    open_tab,
    served_app,
    settled,
)
from tests.queue_factory import lead_now

pytestmark = pytest.mark.browser

FOLDER = SHOTS / "joint-session"
RATES = {
    "feedback_rate": "Feedback rate",
    "validation_rate": "Validation rate",
    "decision": "Decision in time",
}
NEW_THRESHOLD = 65
NEW_FLOOR, NEW_FLOOR_LABEL = 75, "75+ employees"
GRID_ROW = 35  # Streamlit's grid header and row height, in CSS pixels
ROW_MARKER = 33  # the editable grid's row-marker column
BEFORE_VALUE = ("id", "field", "attribute", "operator")


@pytest.fixture(scope="module")
def e2e_database_url(tmp_path_factory) -> str:
    """Return a demo database of this module's own: its active definition changes here."""
    return demo_database(tmp_path_factory, "joint-session")


@pytest.fixture(scope="module")
def app_url(e2e_database_url):
    """Start an app server over this module's database; yield its URL."""
    with served_app(e2e_database_url) as url:
        yield url


@pytest.fixture(scope="module")
def shoot():
    """Return a function saving step NN's full-page screenshot under joint-session/."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob("*.png"):
        old.unlink()
    steps = iter(range(1, 100))

    def take(page: Page, step: str) -> None:
        page.screenshot(path=str(FOLDER / f"{next(steps):02d}-{step}.png"), full_page=True)

    return take


def _actor(engine, username: str):
    with read_session(engine) as session:
        return find_active_actor(session, username)


def _definitions(engine) -> dict[int, AgreementVersion]:
    """Return every definition version by number, as stored."""
    with read_session(engine) as session:
        rows = session.exec(
            select(AgreementVersion).where(AgreementVersion.kind == AgreementKind.DEFINITION)
        ).all()
        return {v.number: v for v in rows}


def _changes(engine, actor, old: AgreementVersion, new: AgreementVersion) -> list[str]:
    """Return the change lines the diff service gives between two versions."""
    with read_session(engine) as session:
        return [
            describe_change(c)
            for c in diff_versions(session, actor=actor, a_id=old.id, b_id=new.id)
        ]


def _shows(page: Page, text: str) -> None:
    expect(page.get_by_text(text)).to_be_visible(timeout=WAIT)


def _select_rule_value(grid: Locator, row: int) -> None:
    """Select the Value cell of a rule table's row: click the row's first cell (the grid
    paints a canvas: the cell is found after the row-marker column), then step right over
    the columns before Value with the keyboard, whatever their drawn widths. The grid draws
    itself a moment after the page's run is over: click once it lists the row (in the
    table it keeps for screen readers), so the click lands on a grid that takes it."""
    expect(grid.locator("tbody tr").nth(row)).to_be_attached(timeout=WAIT)
    box = grid.bounding_box()
    assert box is not None
    grid.page.mouse.click(box["x"] + ROW_MARKER + 15, box["y"] + GRID_ROW * (row + 1.5))
    for _ in BEFORE_VALUE:
        grid.page.keyboard.press("ArrowRight")


def _type_into_selected_cell(page: Page, text: str) -> None:
    """Open the selected cell's editor, replace what it holds, commit, and wait until the
    editor is closed again and the rerun the edit starts is over (a click during that rerun
    lands on a grid about to be drawn anew, and its cell is no longer selected)."""
    editor = page.locator("textarea.gdg-input")
    page.keyboard.press("Enter")
    expect(editor).to_be_visible()
    editor.fill(text)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    settled(page)


def _team_rates(page: Page, team: str) -> dict[str, str]:
    """Return the Per team table's cells for `team`, by measure."""
    grid = page.get_by_role("tabpanel", name="Per team").get_by_test_id("stDataFrame")
    expect(grid_cell(grid, 0, "Team")).to_have_text(team, timeout=WAIT)
    return {rate: grid_cell(grid, 0, rate).inner_text() for rate in RATES.values()}


def _counts(engine, actor, now: datetime) -> dict[str, tuple[int, int]]:
    """Return (numerator, denominator) of each rate for the actor's team, as the SLA
    service counts them at `now` over the page's default dates."""
    start, end = default_range()
    with read_session(engine) as session:
        frame = scorecard(
            session, actor=actor, filters=Filters(start=start, end=end), by="team", now=now
        )
    mine = frame[(frame["key"] == actor.team_id) & frame["metric"].isin(RATES)]
    return {r.metric: (int(r.numerator), int(r.denominator)) for r in mine.itertuples()}


def _cells(counts: dict[str, tuple[int, int]]) -> dict[str, str]:
    """Return the Per team cells the page draws for these counts ("87% · 153 of 175")."""
    return {RATES[m]: f"{n / d:.0%} · {n:,} of {d:,}" for m, (n, d) in counts.items()}


def _shows_service_numbers(page: Page, engine, actor, team: str) -> dict[str, str]:
    """Assert the page shows the service's counts at the cache's "now" (the slot read on
    either side of the page, in case it turned meanwhile); return the cells shown."""
    slot = now_slot()
    shown = _team_rates(page, team)
    assert shown in [_cells(_counts(engine, actor, at)) for at in dict.fromkeys((slot, now_slot()))]
    return shown


def _decision_due(engine, lead_id: int, now: datetime) -> bool:
    """Return whether the lead's open MQL pass had its decision deadline pass by `now`."""
    with read_session(engine) as session:
        due = session.exec(
            select(LeadPass.decision_due_at)
            .where(LeadPass.lead_id == lead_id)
            .order_by(LeadPass.pass_no.desc())
        ).first()
    return due is not None and as_utc(due) <= now


def test_joint_session_from_a_signed_definition_to_compliance_numbers(
    app_url, open_as, db, shoot, dialogs
):
    versions = _definitions(db)
    old = next(v for v in versions.values() if v.status == AgreementStatus.ACTIVE)
    new = max(versions) + 1

    # a. Marketing's leader starts a draft from the active version, raises the threshold
    # and the employee floor, saves and proposes it.
    marketing = open_as("marketing_leader", "/definition", "Lead definition")
    marketing.get_by_role("button", name="Start a new draft from this version").click()
    _shows(marketing, f"Started draft v{new} from v{old.number}.")
    settled(marketing)
    fit = marketing.get_by_test_id("stDataFrame").first
    _select_rule_value(fit, 0)
    _type_into_selected_cell(marketing, str(NEW_FLOOR))
    _select_rule_value(fit, 0)
    # Past the generated Label (read-only: written from the rule) to the Note beside it.
    marketing.keyboard.press("ArrowRight")
    marketing.keyboard.press("ArrowRight")
    _type_into_selected_cell(marketing, NEW_FLOOR_LABEL)
    marketing.get_by_role("spinbutton", name="MQL threshold (points)").fill(str(NEW_THRESHOLD))
    shoot(marketing, "draft-edited")
    marketing.get_by_role("button", name="Save draft").click()
    _shows(marketing, f"Saved v{new}.")
    expect(
        marketing.get_by_text(f"A lead is marketing-qualified when it has {NEW_FLOOR}+ employees")
    ).to_be_visible()
    shoot(marketing, "draft-saved")
    marketing.get_by_role("button", name="Propose for signature").click()
    _shows(
        marketing,
        f"v{new} is proposed. It becomes active once a marketing leader and a "
        "sales leader have signed it.",
    )
    shoot(marketing, "proposed")
    proposed = _definitions(db)[new]
    assert proposed.status == AgreementStatus.PROPOSED
    assert proposed.content["threshold"] == NEW_THRESHOLD
    assert (
        proposed.content["fit_rules"][0] | {"value": NEW_FLOOR, "label": NEW_FLOOR_LABEL}
        == proposed.content["fit_rules"][0]
    )

    # b. Sales' leader, in a browser of their own, opens the proposed version, reads what
    # changed and signs for sales.
    sales = open_as("sales_leader", "/definition", "Lead definition")
    expect(
        sales.get_by_role("heading", name=f"v{new} — New draft from v{old.number}", level=3)
    ).to_be_visible(timeout=WAIT)
    open_tab(sales, "Compare versions")
    changes = _changes(db, _actor(db, "sales_leader"), old, proposed)
    assert len(changes) == 3
    for line in changes:
        expect(sales.get_by_text(line, exact=True)).to_be_visible(timeout=WAIT)
    shoot(sales, "sales-reads-the-changes")
    sales.get_by_role("button", name="Sign for sales").click()
    sales.get_by_role("button", name="Confirm: sign for sales").click(timeout=WAIT)
    _shows(sales, f"Signed for sales. v{new} becomes active once marketing signs.")
    shoot(sales, "sales-signed")

    # c. Marketing's leader signs too: the new version is active, the old one retired.
    marketing.goto(f"{app_url}/definition")
    settled(marketing)
    marketing.get_by_role("button", name="Sign for marketing").click()
    marketing.get_by_role("button", name="Confirm: sign for marketing").click(timeout=WAIT)
    _shows(
        marketing,
        f"Signed for marketing. v{new} is now the active lead definition. "
        f"v{old.number} is retired.",
    )
    expect(marketing.locator(".stMarkdownBadge")).to_contain_text("Active")
    open_tab(marketing, "All versions")
    every = marketing.get_by_role("tabpanel", name="All versions").get_by_test_id("stDataFrame")
    expect(grid_cell(every, 0, "Version")).to_have_text(f"v{new}", timeout=WAIT)
    expect(grid_cell(every, 0, "Status")).to_have_text("active")
    expect(grid_cell(every, 1, "Version")).to_have_text(f"v{old.number}")
    expect(grid_cell(every, 1, "Status")).to_have_text("retired")
    shoot(marketing, "active")
    stored = _definitions(db)
    assert (stored[new].status, stored[old.number].status) == (
        AgreementStatus.ACTIVE,
        AgreementStatus.RETIRED,
    )

    # d-before. The East manager reads SLA compliance as it stands.
    manager_actor = _actor(db, "sales_manager")
    manager = open_as("sales_manager", "/sla-compliance", "SLA compliance")
    at = now_slot()
    before = _counts(db, manager_actor, at)
    shown_before = _shows_service_numbers(manager, db, manager_actor, "East")
    shoot(manager, "compliance-before")

    # d. The rep answers their two most overdue leads: yes in one click, no in two.
    rep_actor = _actor(db, "rep")
    with read_session(db) as session:
        queue = rep_queue(session, actor=rep_actor)
    (first, second), names = queue["id"].iloc[:2].astype(int).tolist(), queue["name"].iloc[:2]
    assert _decision_due(db, first, at) and _decision_due(db, second, at)
    rep = open_as("rep", "/my-queue", "My queue")
    expect(rep.get_by_role("heading", name=names.iloc[0], level=3)).to_be_visible(timeout=WAIT)
    rep.get_by_role("button", name="Yes — meets the definition").click()
    _shows(rep, f"{names.iloc[0]} meets the definition: validated. It has left your queue.")
    shoot(rep, "rep-validated")
    rep.get_by_role("button", name="Next lead").click()  # the decided lead stays chosen
    expect(rep.get_by_role("heading", name=names.iloc[1], level=3)).to_be_visible(timeout=WAIT)
    rep.get_by_role("radio", name="No need or no project").click()
    rep.get_by_role("button", name="Disqualify", exact=True).click()
    _shows(rep, f"{names.iloc[1]} disqualified (No need or no project). It has left your queue.")
    shoot(rep, "rep-disqualified")
    assert (lead_now(db, first).stage, lead_now(db, second).stage) == (
        Stage.VALIDATED,
        Stage.DISQUALIFIED,
    )

    # e. The manager opens SLA compliance again: the numbers moved at once, by these two
    # answers as DESIGN.md counts them.
    manager.goto(f"{app_url}/sla-compliance")
    settled(manager)
    shown_after = _shows_service_numbers(manager, db, manager_actor, "East")
    shoot(manager, "compliance-after")
    moved = _counts(db, manager_actor, at)
    sampled = [lead_now(db, i).is_sample for i in (first, second)]
    (fed, due), (valid, decided), (in_time, late) = (
        before["feedback_rate"],
        before["validation_rate"],
        before["decision"],
    )
    # Both were decided after their decision deadline: feedback counts them, "in time" not.
    assert moved["feedback_rate"] == (fed + 2, due)
    assert moved["decision"] == (in_time, late)
    # Validation rate is marketing's and leaves below-threshold samples out.
    assert moved["validation_rate"] == (valid + (not sampled[0]), decided + sampled.count(False))
    assert shown_after != shown_before
    assert dialogs == []
