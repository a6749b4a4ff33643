"""Text people type or import, shown in Chromium as text and never as markup: a note logged
on a lead, a dispute note, a definition's title, rule label and discussion comment, an
imported file's job title, company, custom column and file name, and a user's name (the
sidebar's "Signed in as", the admin's user list). Each payload carries a <script>, an
<img onerror>, a Markdown link, emphasis, and bare addresses GitHub-flavoured Markdown
would make live links of: the tests read it back literally (the word joiners plain() puts
into addresses are invisible), hear no dialog, and find no element the payload made."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from leaddash.agreements import active_version, create_draft
from leaddash.auth import CLI_ACTOR, find_active_actor
from leaddash.db import read_session, write_session
from leaddash.definitions import summarize, validate_definition
from leaddash.models import AgreementKind, Lead, Role
from leaddash.queue.actions import disqualify_lead
from leaddash.ui.text import WORD_JOINER
from leaddash.users import create_user
from tests.e2e.conftest import DEMO_PASSWORD, WAIT, open_tab, settled
from tests.queue_factory import make_lead

pytestmark = pytest.mark.browser


def payload(tag: str) -> str:
    """Return text that would run script `tag` if a page drew it as HTML, and would turn
    into links and emphasis if drawn as Markdown (bare addresses included)."""
    return (
        f"<script>alert('{tag}')</script> <img src=x onerror=alert('{tag}')> "
        f"[{tag}](https://evil.example/{tag}) *{tag}-em* **{tag}-bold** "
        "www.evil.example http://evil.example bob@evil.example"
    )  # ≤ 200 characters


def typed(text: str) -> str:
    """Return a regular expression matching `text` as a page shows it: with or without the
    invisible word joiners plain() puts where an address would start."""
    joiner = f"\\u{ord(WORD_JOINER):04x}?"  # written as an escape: selectors refuse it raw
    return "".join(re.escape(c).replace("/", "\\/") + joiner for c in text)


def _actor(engine, username: str):
    with read_session(engine) as session:
        return find_active_actor(session, username)


def _nothing_injected(page: Page) -> None:
    """Assert no <script>, <img onerror>, link (a bare address's included) or emphasis that
    came from a payload is in the page."""
    made = page.evaluate("""() => ({
        scripts: [...document.querySelectorAll('script')]
            .filter(s => s.textContent.includes('alert(')).length,
        images: document.querySelectorAll('img[src="x"], [onerror]').length,
        links: document.querySelectorAll('a[href*="evil.example"]').length,
        emphasis: [...document.querySelectorAll('em, strong')]
            .filter(e => /-(em|bold)$/.test(e.textContent)).length,
    })""")
    assert made == {"scripts": 0, "images": 0, "links": 0, "emphasis": 0}


def _shows_literally(page: Page, text: str, *, starts: bool = False) -> None:
    """Assert an element shows exactly `text` (or text starting with it)."""
    pattern = re.compile(f"^{typed(text)}" + ("" if starts else "$"))
    expect(page.get_by_text(pattern).first).to_be_visible(timeout=WAIT)


def _in_a_grid(page: Page, text: str) -> None:
    """Assert a table cell (the grids' accessible tables) holds exactly `text`."""
    cell = (
        page.get_by_test_id("stDataFrame")
        .locator("td")
        .filter(has_text=re.compile(f"^{re.escape(text)}$"))
    )
    expect(cell.first).to_be_attached(timeout=WAIT)


def _in_the_text(page: Page, text: str) -> None:
    """Assert some element's text holds `text` literally (the lead's compact facts line:
    a Markdown rendering would have dropped its asterisks and brackets)."""
    pattern = re.compile(typed(text))  # with or without plain()'s invisible word joiners
    expect(page.get_by_text(pattern).first).to_be_visible(timeout=WAIT)


def _pick(page: Page, label: str, containing: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option").filter(has_text=containing).first.click()
    settled(page)


def test_a_note_logged_on_a_lead_and_its_fields_show_as_text(open_as, dialogs, db, shot):
    rep = _actor(db, "rep")
    name, title, custom = payload("name"), payload("title"), payload("custom")
    make_lead(
        db,
        rep,
        first="Notey",
        last=name,
        title=title,
        custom={"referral": custom},
        due_in=-timedelta(days=30),
    )
    note = payload("note")

    page = open_as("rep", "/my-queue", "My queue")
    _pick(page, "Lead to work on", "Notey")
    heading = page.get_by_role("heading", name=re.compile(f"^{typed(f'Notey {name}')}$"), level=3)
    expect(heading).to_be_visible(timeout=WAIT)
    settled(page)
    page.get_by_role("textbox", name="What happened (optional)").fill(note)
    settled(page)
    page.get_by_text("no answer", exact=True).click()
    settled(page)
    page.get_by_role("button", name="Log attempt").click()

    logged = f"Attempt 1 (call, no answer) logged for Notey {name}."
    _shows_literally(page, logged, starts=True)
    settled(page)
    _in_a_grid(page, f"Call attempt (no answer): {note}")
    _in_the_text(page, title)
    _in_the_text(page, custom)
    shot(page, "my-queue")
    _nothing_injected(page)
    assert dialogs == []


def test_a_dispute_note_shows_as_text_to_marketing_and_the_sales_leader(open_as, dialogs, db, shot):
    rep = _actor(db, "rep")
    lead = make_lead(
        db,
        rep,
        first="Disputey",
        last=payload("lead"),
        company=payload("company"),
        due_in=-timedelta(days=2),
    )
    with write_session(db) as session:
        disqualify_lead(
            session,
            actor=rep,
            lead_id=lead.id,
            expected_version=lead.version,
            reason_code="no_need",
            note=payload("decision"),
        )
    note = payload("dispute")

    marketing = open_as("marketing", "/disputes", "Disputes")
    open_tab(marketing, "Raise a dispute")
    search = marketing.get_by_role("textbox", name="Find a decided lead")
    search.fill("Disputey")
    search.press("Enter")
    settled(marketing)
    marketing.get_by_role("textbox", name="Why marketing disagrees").fill(note)
    marketing.get_by_role("button", name="Dispute this decision").click()
    _shows_literally(
        marketing,
        f"Dispute raised on Disputey {payload('lead')}. A sales leader "
        "will rule on it; follow it under Open.",
    )
    shot(marketing, "raised")

    leader = open_as("sales_leader", "/disputes", "Disputes")
    _pick(leader, "Dispute", f"#{lead.id} ")
    _shows_literally(leader, note)
    _in_a_grid(leader, payload("company"))
    shot(leader, "to-rule")
    for page in (marketing, leader):
        _nothing_injected(page)
    assert dialogs == []


def test_a_definitions_title_rule_label_and_comment_show_as_text(open_as, dialogs, db, shot):
    leader = _actor(db, "marketing_leader")
    title, label, comment = payload("title"), payload("label"), payload("comment")
    with write_session(db) as session:
        content = active_version(session, AgreementKind.DEFINITION).content
        content["disqualifiers"][0]["label"] = label
        draft = create_draft(
            session,
            actor=leader,
            kind=AgreementKind.DEFINITION,
            title=title,
            content=content,
            validate=validate_definition,
            summarize=summarize,
        )
        number = draft.number

    page = open_as("marketing_leader", "/definition", "Lead definition")
    expect(
        page.get_by_role("heading", name=re.compile(f"^{typed(f'v{number} — {title}')}$"), level=3)
    ).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text(
        re.compile(typed(f"It is excluded when: {label}; "))
    )
    open_tab(page, "Compare versions")
    _shows_literally(page, f"Disqualifier D1 › label: Personal email → {label}")
    open_tab(page, "Discussion")
    page.get_by_role("textbox", name=f"Comment on v{number}").fill(comment)
    page.get_by_role("button", name="Post comment").click()
    _shows_literally(page, "Comment posted.")
    _shows_literally(page, comment)
    shot(page, "definition")
    _nothing_injected(page)
    assert dialogs == []


def test_an_imported_title_company_custom_column_and_file_name_show_as_text(
    open_as, dialogs, db, tmp_path, shot
):
    email = "hostile.import@e2e-untrusted.example"
    path = tmp_path / "<img src=x onerror=alert('file')>.csv"  # a name cannot hold a "/"
    fields = (payload("title"), payload("company"), payload("custom"))
    # The payload columns come first: the grid writes out only the cells in view.
    path.write_text(
        "email,referral_note,title,company,first_name,last_name\n"
        f'{email},"{fields[2]}","{fields[0]}","{fields[1]}",Importy,Lead\n',
        encoding="utf-8",
    )

    page = open_as("marketing", "/import", "Import")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
    _shows_literally(
        page,
        f"Dry run of {path.name}, nothing written. It would give 1 new "
        "leads, 0 updated, 0 unchanged.",
    )
    shot(page, "preview")
    for text in fields[2], fields[0]:  # the company's cell is out of view (the grid's width)
        _in_a_grid(page, text)
    page.get_by_role("button", name="Import", exact=True).click()
    _shows_literally(page, f"Imported {path.name}: 1 new leads", starts=True)
    shot(page, "imported")
    _nothing_injected(page)
    assert dialogs == []
    with read_session(db) as session:
        lead = session.exec(select(Lead).where(Lead.email == email)).one()
    assert (lead.title, lead.company, lead.custom["referral_note"]) == fields


USERNAME = "0.www.evil.example"  # a username may hold dots: this one would autolink


def test_a_users_name_shows_as_text_signed_in_and_in_the_admin_list(open_as, dialogs, db, shot):
    name = (
        "[u](https://evil.example/u) *u-em* **u-bold** <img src=x onerror=alert('u')> "
        "www.evil.example http://evil.example/u"
    )  # a name holds 120 characters
    with write_session(db) as session:
        # Named to sort first: the grid writes out only the rows in view.
        create_user(
            session,
            actor=CLI_ACTOR,
            username=USERNAME,
            role=Role.REP,
            password=DEMO_PASSWORD,
            name=name,
            team="East",
            email="bob@evil.example",
        )

    page = open_as(USERNAME, "/", "Hello")
    expect(page.get_by_test_id("stSidebar")).to_contain_text(
        re.compile(typed(f"Signed in as {name} · rep")), timeout=WAIT
    )
    shot(page, "signed-in")
    _nothing_injected(page)

    admin = open_as("admin", "/users", "Users and teams")
    _in_a_grid(admin, name)
    open_tab(admin, "Change a user")
    _pick(admin, "User", USERNAME)
    expect(
        admin.get_by_role("button", name=re.compile(f"^{typed(f'Deactivate {USERNAME}')}$"))
    ).to_be_visible(timeout=WAIT)
    shot(admin, "admin")
    _nothing_injected(admin)
    assert dialogs == []
