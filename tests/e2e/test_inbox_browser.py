"""Home's inbox in Chromium, over a demo database of its own and the test clock
(LEADDASH_CLOCK_FILE): the sales leader's inbox and sidebar change when marketing's leader
proposes a definition, and a rep's inbox counts a lead as due soon once the clock passes
its warning point (the clock is moved, nobody sleeps).

Screenshots: test-artifacts/screenshots/inbox/NN-step.png."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import col, select

from leaddash.auth import find_active_actor
from leaddash.core.times import as_utc
from leaddash.db import read_session
from leaddash.models import (
    AgreementKind,
    AgreementStatus,
    AgreementVersion,
    Lead,
    Signature,
    Stage,
)
from leaddash.ui.metrics_cache import now_slot
from tests.e2e.conftest import (
    SHOTS,
    TALL,
    WAIT,
    demo_database,
    log_in,
    numbered_shots,
    served_app,
    settled,
)

pytestmark = pytest.mark.browser

FOLDER = SHOTS / "inbox"
SLOT = timedelta(minutes=5)


@pytest.fixture(scope="module")
def e2e_database_url(tmp_path_factory) -> str:
    """Return a demo database of this module's own: a definition is proposed here."""
    return demo_database(tmp_path_factory, "inbox")


@pytest.fixture(scope="module")
def app_url(e2e_database_url, clock):
    """Start an app server on the test clock over this module's database; yield its URL."""
    with served_app(e2e_database_url, clock=clock) as url:
        yield url


@pytest.fixture(scope="module")
def shoot():
    """Return a function saving step NN's full-page screenshot under inbox/."""
    return numbered_shots(FOLDER, full_page=True)


def _home_as(browser, app_url: str, username: str) -> Page:
    page = browser.new_context(viewport=TALL).new_page()
    log_in(page, app_url, username)
    expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible(timeout=WAIT)
    settled(page)
    return page


def _waiting_for_sales(engine) -> list[AgreementVersion]:
    """Return the proposed definitions sales has not signed, as stored."""
    with read_session(engine) as session:
        signed = select(Signature.agreement_id).where(
            Signature.side == "sales", col(Signature.withdrawn_at).is_(None)
        )
        return list(
            session.exec(
                select(AgreementVersion).where(
                    AgreementVersion.kind == AgreementKind.DEFINITION,
                    AgreementVersion.status == AgreementStatus.PROPOSED,
                    col(AgreementVersion.id).not_in(signed),
                )
            ).all()
        )


def _menu_link(page: Page, title: str, count: int):
    name = f"{title} · {count}" if count else title
    return page.get_by_test_id("stSidebarNav").get_by_role(
        "link", name=re.compile(f"{re.escape(name)}$")
    )


def test_the_sales_leaders_inbox_shows_a_definition_marketing_just_proposed(
    app_url, browser, db, shoot
):
    sales = _home_as(browser, app_url, "sales_leader")
    before = _waiting_for_sales(db)
    expect(_menu_link(sales, "Lead definition", len(before))).to_be_visible()
    shoot(sales, "sales-leader-before")

    marketing = _home_as(browser, app_url, "marketing_leader")
    marketing.goto(f"{app_url}/definition")
    settled(marketing)
    marketing.get_by_role("button", name="Start a new draft from this version").click()
    expect(marketing.get_by_text(re.compile(r"Started draft v\d+"))).to_be_visible(timeout=WAIT)
    settled(marketing)
    marketing.get_by_role("button", name="Propose for signature").click()
    expect(marketing.get_by_text(re.compile(r"v\d+ is proposed"))).to_be_visible(timeout=WAIT)

    after = _waiting_for_sales(db)
    (new,) = [v for v in after if v.id not in {b.id for b in before}]
    sales.reload()
    link = sales.get_by_role(
        "link",
        name=f"1 · Lead definition v{new.number}, “{new.title}”, waits for your signature",
    )
    expect(link).to_be_visible(timeout=WAIT)
    expect(_menu_link(sales, "Lead definition", len(after))).to_be_visible()
    expect(sales.get_by_text(re.compile(r"^What-if on the [\d,]+ leads"))).to_have_count(
        len(after), timeout=WAIT
    )
    settled(sales)
    shoot(sales, "sales-leader-after-proposal")

    link.click()
    expect(sales.get_by_role("heading", name="Lead definition", level=1)).to_be_visible(
        timeout=WAIT
    )
    assert sales.url.endswith("/definition")


def _rep_counts(engine, username: str, now: datetime) -> dict[str, int]:
    """Return, counted plainly over the user's open leads: overdue (next deadline before
    `now`), warned (a milestone past its warning point, not yet due, the lead not overdue)
    and callbacks (callback time at or before `now`)."""
    with read_session(engine) as session:
        rep = find_active_actor(session, username)
        leads = session.exec(
            select(Lead).where(
                Lead.owner_id == rep.id, col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED])
            )
        ).all()
    counts = {"overdue": 0, "warned": 0, "callbacks": 0}
    for lead in leads:
        touched = lead.first_touch_at is not None
        due = as_utc(lead.decision_due_at if touched else lead.touch_due_at)
        overdue = due is not None and due < now
        counts["overdue"] += overdue
        warned = [
            (lead.touch_warn_at, lead.touch_due_at) if not touched else (None, None),
            (lead.decision_warn_at, lead.decision_due_at) if not lead.decided_at else (None, None),
        ]
        counts["warned"] += not overdue and any(
            w is not None and as_utc(w) <= now < as_utc(d) for w, d in warned
        )
        counts["callbacks"] += lead.callback_at is not None and as_utc(lead.callback_at) <= now
    return counts


def _next_warning_point(engine, username: str, now: datetime) -> datetime:
    """Return the earliest warning point after `now` of the user's untouched open leads."""
    with read_session(engine) as session:
        rep = find_active_actor(session, username)
        return as_utc(
            session.exec(
                select(func.min(Lead.touch_warn_at)).where(
                    Lead.owner_id == rep.id,
                    col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED]),
                    col(Lead.first_touch_at).is_(None),
                    col(Lead.touch_warn_at) > now,
                )
            ).one()
        )


def _link(page: Page, count: int, title: str):
    return page.get_by_role("link", name=f"{count:,} · {title}")


OVERDUE = "Your leads past their SLA deadline: contact them first"
WARNED = "Your leads past their SLA warning point: due soon"


def test_a_reps_inbox_counts_a_lead_once_the_clock_passes_its_warning_point(
    app_url, browser, db, clock, shoot
):
    start = datetime.fromisoformat(clock.read_text())
    before = _rep_counts(db, "rep", start)
    rep = _home_as(browser, app_url, "rep")
    expect(_link(rep, before["overdue"], OVERDUE)).to_be_visible(timeout=WAIT)
    shoot(rep, "rep-before")

    point = _next_warning_point(db, "rep", start)
    later = now_slot(point) + SLOT  # the first slot after the warning point
    clock.write_text(later.isoformat())
    rep = _home_as(browser, app_url, "rep")  # a new login: the clock may have moved hours

    after = _rep_counts(db, "rep", later)
    assert after["warned"] + after["overdue"] > before["warned"] + before["overdue"]
    expect(_link(rep, after["warned"], WARNED)).to_be_visible(timeout=WAIT)
    expect(_link(rep, after["overdue"], OVERDUE)).to_be_visible(timeout=WAIT)
    expect(_menu_link(rep, "My queue", sum(after.values()))).to_be_visible()
    shoot(rep, "rep-after-the-clock-passed-a-warning-point")
