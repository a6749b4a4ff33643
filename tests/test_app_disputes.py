"""AppTest runs of the Disputes page: marketing raises, a sales leader rules, who sees what."""

from __future__ import annotations

import pytest

from leaddash.auth import find_active_actor
from leaddash.db import read_session, write_session
from leaddash.models import Stage
from leaddash.queue.actions import disqualify_lead
from leaddash.queue.disputes import raise_dispute
from leaddash.ui.disputes import NO_OPEN
from tests.apptest import app_as, link_names, texts
from tests.queue_factory import lead_now, make_lead

PAGE = "pages/disputes.py"
NOTE = '=HYPERLINK("x") 500 staff and a VP title: this fits.'


def _actor(engine, username):
    with read_session(engine) as session:
        return find_active_actor(session, username)


@pytest.fixture
def decided(app_db):
    """A lead of the demo rep that the rep disqualified as "no fit"."""
    rep = _actor(app_db, "rep")
    lead = make_lead(app_db, rep, first="Dora", company="Acme <b>Corp</b>")
    with write_session(app_db) as session:
        disqualify_lead(
            session, actor=rep, lead_id=lead.id, expected_version=lead.version, reason_code="no_fit"
        )
    return lead_now(app_db, lead.id)


@pytest.fixture
def disputed(app_db, decided):
    with write_session(app_db) as session:
        raise_dispute(
            session,
            actor=_actor(app_db, "marketing"),
            lead_id=decided.id,
            expected_version=decided.version,
            note=NOTE,
        )
    return decided


def _press(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_marketing_raises_a_dispute_from_a_recent_decision(app_db, decided):
    at = app_as("marketing", PAGE)
    assert not at.exception, at.exception
    picker = next(s for s in at.selectbox if s.label == "Decision to dispute")
    assert picker.options == [
        (
            f"#{decided.id} Dora Lee · Acme <b>Corp</b> · disqualified "
            "(No fit (company or role outside the definition)) · by Rep"
        )
    ]

    at.text_area[0].input(NOTE)
    at = _press(at, "Dispute this decision")

    assert not at.exception, at.exception
    assert "Dispute raised on Dora Lee." in texts(at)
    table = at.dataframe[0].value
    assert list(table["marketing_note"]) == [NOTE]
    assert list(table["status"]) == ["open"]


def test_a_dispute_without_a_note_is_refused_with_what_to_do(app_db, decided):
    at = _press(app_as("marketing", PAGE), "Dispute this decision")

    assert not at.exception
    assert "Say why marketing disagrees" in texts(at)
    assert NO_OPEN in texts(at)


def test_a_sales_leader_overturns_and_the_lead_goes_back(app_db, disputed):
    at = app_as("sales_leader", PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.text] == [NOTE]

    at.text_area[0].input("Fits the definition: call again.")
    at = _press(at, "Overturn: back to the queue")

    assert not at.exception, at.exception
    assert "the lead is back in its owner's queue" in texts(at)
    assert NO_OPEN in texts(at)
    assert lead_now(app_db, disputed.id).stage == Stage.ACCEPTED
    closed = at.dataframe[0].value
    assert list(closed["resolution_note"]) == ["Fits the definition: call again."]
    assert list(closed["marketing_note"]) == [NOTE]


def test_a_sales_leader_upholds(app_db, disputed):
    at = app_as("sales_leader", PAGE)
    at.text_area[0].input("The call notes say student.")

    at = _press(at, "Uphold: the decision stands")

    assert not at.exception
    assert "upheld: the decision stands" in texts(at)
    assert lead_now(app_db, disputed.id).stage == Stage.DISQUALIFIED


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "admin"])
def test_only_a_sales_leader_sees_the_ruling_form(app_db, disputed, role):
    at = app_as(role, PAGE)

    assert not at.exception, at.exception
    assert link_names(at.dataframe[0].value["lead"]) == ["Dora Lee"]
    assert not [b for b in at.button if b.label.startswith(("Uphold", "Overturn"))]


def test_a_sales_leader_cannot_raise_a_dispute(app_db, decided):
    at = app_as("sales_leader", PAGE)

    assert not at.exception
    assert [t.label for t in at.tabs] == ["Open (0)", "Closed"]


def test_a_rep_cannot_open_the_page(app_db):
    at = app_as("rep")

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
