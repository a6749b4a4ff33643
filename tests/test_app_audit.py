"""AppTest runs of the Audit trail page: the newest entries in words, the person filter,
paging older and newer, the full change of a chosen entry, and who may open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.audit_trail import PAGE_SIZE, action_words
from leaddash.db import read_session, write_session
from leaddash.models import AuditLog, User, utcnow
from leaddash.ui.nav import pages_for
from tests.apptest import app_as, texts

PAGE = "pages/audit.py"
EXTRA = PAGE_SIZE + 12


@pytest.fixture
def trail(app_db):
    """Add EXTRA entries by the marketing leader in the last hours (a lead's stage each)."""
    with write_session(app_db) as session:
        leader = session.exec(select(User).where(User.username == "marketing_leader")).one()
        for i in range(EXTRA):
            session.add(
                AuditLog(
                    occurred_at=utcnow() - timedelta(minutes=EXTRA - i),
                    actor_id=leader.id,
                    action="lead.validate",
                    entity="lead",
                    entity_id=i,
                    before={"stage": "accepted"},
                    after={"stage": "validated", "note": f"**call {i}**"},
                )
            )
    return leader


def _entries(engine, keep=lambda row: True) -> list[AuditLog]:
    with read_session(engine) as session:
        rows = session.exec(select(AuditLog)).all()
    return sorted((r for r in rows if keep(r)), key=lambda r: r.id, reverse=True)


def _press(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_a_leader_sees_the_newest_entries_in_words(app_db, trail):
    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    newest = _entries(app_db)[:PAGE_SIZE]
    assert list(shown["id"]) == [r.id for r in newest]
    assert list(shown["what"]) == [action_words(r.action) for r in newest]
    assert shown["who"].iloc[0] == trail.name
    assert shown["change"].iloc[0] == f"stage: accepted → validated\nnote: **call {EXTRA - 1}**"


def test_older_entries_page_on_and_newer_comes_back(app_db, trail):
    at = app_as("admin", PAGE)
    every = [r.id for r in _entries(app_db)]

    at = _press(at, "Older entries")
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["id"]) == every[PAGE_SIZE : 2 * PAGE_SIZE]

    at = _press(at, "Newer entries")
    assert list(at.dataframe[0].value["id"]) == every[:PAGE_SIZE]


def test_the_person_filter_keeps_only_that_persons_entries(app_db, trail):
    at = app_as("admin", PAGE)
    person = next(s for s in at.selectbox if s.label == "Person")

    at = person.select(trail.id).run()

    assert not at.exception, at.exception
    expected = [r.id for r in _entries(app_db, lambda r: r.actor_id == trail.id)]
    assert list(at.dataframe[0].value["id"]) == expected[:PAGE_SIZE]


def test_a_filter_matching_nothing_says_what_to_do(app_db, trail):
    at = app_as("admin", PAGE)
    kinds = next(m for m in at.multiselect if m.label == "Kind of record")

    at = kinds.select("webhook").run()

    assert not at.exception, at.exception
    assert "No audit entry matches these filters" in texts(at)
    assert not at.dataframe


@pytest.mark.parametrize("role", ["sales_manager", "rep", "marketing"])
def test_the_page_is_not_in_the_menu_of_other_roles(app_db, role):
    assert "audit.py" not in {spec.script for spec in pages_for(role)}
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
