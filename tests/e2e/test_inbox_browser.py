"""Home's inbox in Chromium, over a demo database of its own and the test clock
(LEADDASH_CLOCK_FILE): the sales leader's inbox and sidebar change when marketing's leader
proposes a definition, and a rep's inbox counts a lead as overdue once the clock passes
its deadline (the clock is moved, nobody sleeps).

Screenshots: test-artifacts/screenshots/inbox/NN-step.png."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import col, select

from leaddash.auth import find_active_actor
from leaddash.core.lead_sql import due_at_sql
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
from tests.e2e.conftest import SHOTS, TALL, WAIT, demo_database, log_in, served_app, settled

pytestmark = pytest.mark.browser

FOLDER = SHOTS / "inbox"
SLOT = timedelta(minutes=5)


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    """Return the clock file the app reads, set to the start of the current five-minute
    slot (the demo is seeded as of today)."""
    path = tmp_path_factory.mktemp("clock") / "clock.txt"
    path.write_text(now_slot().isoformat())
    return path


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
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob("*.png"):
        old.unlink()
    steps = iter(range(1, 100))

    def take(page: Page, step: str) -> None:
        page.screenshot(path=str(FOLDER / f"{next(steps):02d}-{step}.png"), full_page=True)

    return take


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


def _overdue_of(engine, username: str, now: datetime) -> int:
    """Return how many open leads of the user have their next deadline before `now`."""
    with read_session(engine) as session:
        rep = find_active_actor(session, username)
        return session.exec(
            select(func.count())
            .select_from(Lead)
            .where(
                Lead.owner_id == rep.id,
                col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED]),
                due_at_sql() < now,
            )
        ).one()


def _next_deadline(engine, username: str, now: datetime) -> datetime:
    with read_session(engine) as session:
        rep = find_active_actor(session, username)
        return as_utc(
            session.exec(
                select(func.min(due_at_sql())).where(
                    Lead.owner_id == rep.id,
                    col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED]),
                    due_at_sql() >= now,
                )
            ).one()
        )


def _overdue_link(page: Page, count: int):
    return page.get_by_role(
        "link", name=f"{count:,} · Your leads past their SLA deadline: contact them first"
    )


def test_a_reps_inbox_counts_a_lead_overdue_once_the_clock_passes_its_deadline(
    app_url, browser, db, clock, shoot
):
    start = datetime.fromisoformat(clock.read_text())
    rep = _home_as(browser, app_url, "rep")
    expect(_overdue_link(rep, _overdue_of(db, "rep", start))).to_be_visible(timeout=WAIT)
    shoot(rep, "rep-before")

    deadline = _next_deadline(db, "rep", start)
    later = now_slot(deadline) + SLOT  # the first slot after the deadline
    clock.write_text(later.isoformat())
    rep = _home_as(browser, app_url, "rep")  # a new login: the clock may have moved hours

    overdue = _overdue_of(db, "rep", later)
    assert overdue > _overdue_of(db, "rep", start)
    expect(_overdue_link(rep, overdue)).to_be_visible(timeout=WAIT)
    expect(_menu_link(rep, "My queue", overdue + _due_within_a_day(db, later))).to_be_visible()
    shoot(rep, "rep-after-the-clock-moved")


def _due_within_a_day(engine, now: datetime) -> int:
    return _overdue_of(engine, "rep", now + timedelta(hours=24)) - _overdue_of(engine, "rep", now)
