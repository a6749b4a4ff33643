"""AppTest runs of the routing page: rules for admins, availability for managers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.models import AgreementVersion, Role, RoutingRule, User
from tests.apptest import app_as, texts
from tests.conftest import make_user

PAGE = "pages/routing.py"


def _form_button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_an_admin_adds_a_rule_and_sees_it_in_plain_words(app_db):
    at = app_as("admin", PAGE)
    assert not at.exception
    assert "There are no routing rules yet" in texts(at)
    next(t for t in at.text_input if t.label == "Segment (empty: any)").input("Enterprise")
    next(n for n in at.number_input if n.label.startswith("Priority")).set_value(10)
    _form_button(at, "Add rule").click()
    at.run()
    assert not at.exception
    assert "Added a rule sending leads to East" in texts(at)
    assert at.dataframe[0].value["Rule"].tolist() == ["Enterprise leads → East team"]
    with read_session(app_db) as session:
        rule = session.exec(select(RoutingRule)).one()
    assert (rule.priority, rule.segment) == (10, "Enterprise")


def test_a_bad_rule_shows_what_to_fix_and_saves_nothing(app_db):
    at = app_as("admin", PAGE)
    next(n for n in at.number_input if n.label.startswith("At least")).set_value(500)
    next(n for n in at.number_input if n.label.startswith("At most")).set_value(50)
    _form_button(at, "Add rule").click()
    at.run()
    assert not at.exception
    assert "minimum employees (500) is above the maximum (50)" in texts(at)
    with read_session(app_db) as session:
        assert session.exec(select(RoutingRule)).all() == []


def test_a_manager_marks_their_rep_away_but_sees_no_rules(app_db):
    at = app_as("sales_manager", PAGE)
    assert not at.exception
    assert "Routing rules" not in [h.value for h in at.subheader]
    assert at.dataframe[0].value.to_dict("records") == [
        {"Rep": "Rep", "Status": "available", "Daily cap": 25, "Assigned today": 0}
    ]
    at.toggle[0].set_value(True)
    _form_button(at, "Save availability").click()
    at.run()
    assert not at.exception
    assert "Rep is away, with a daily cap of 25." in texts(at)
    assert at.dataframe[0].value["Status"].tolist() == ["away"]
    with read_session(app_db) as session:
        assert session.exec(select(User.is_away).where(User.username == "rep")).one()


def test_the_page_shows_the_sample_of_the_active_definition(app_db):
    content = default_definition_content()
    with write_session(app_db) as session:
        session.add(
            AgreementVersion(
                kind="definition", number=2, title="D", status="active", content=content
            )
        )
    make_user(app_db, "wes", Role.REP, team="West")
    at = app_as("sales_leader", PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Definition v2 also routes 3.0% of the fitting leads scoring up to 15 points" in shown
    assert "Lead definition page" in shown
    assert [d.value["Rep"].tolist() for d in at.dataframe] == [["Rep"], ["Wes"]]


@pytest.mark.parametrize("role", ["rep", "marketing"])
def test_reps_and_marketing_cannot_open_the_page(app_db, role):
    at = app_as(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert "Routing" not in [t.value for t in at.title]
