"""AppTest runs of Home's inbox and the sidebar's counts: what each role sees, from the
database, and each row's link to the page that handles it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leaddash.agreements import create_draft, propose
from leaddash.auth import find_active_actor
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.models import AgreementKind, Role
from leaddash.ui import nav
from leaddash.ui.inbox import EMPTY
from leaddash.ui.text import plain
from tests.apptest import app_as, link_names, seen, texts
from tests.pass_factory import activate
from tests.queue_factory import make_lead

DEF = AgreementKind.DEFINITION
NOW = datetime(2026, 1, 14, 20, tzinfo=UTC)  # on a five-minute slot, as cached reads see now


@pytest.fixture(autouse=True)
def clock(tmp_path, monkeypatch):
    """Run the app on the test clock, at NOW."""
    path = tmp_path / "clock.txt"
    path.write_text(NOW.isoformat())
    monkeypatch.setenv("LEADDASH_CLOCK_FILE", str(path))


def _actor(engine, username):
    with read_session(engine) as session:
        return find_active_actor(session, username)


@pytest.fixture
def menu(monkeypatch) -> list[str]:
    """Return the list each run's menu titles are recorded in."""
    titles: list[str] = []
    plain_title = nav.menu_title

    def recording(spec, counts):
        titles.append(plain_title(spec, counts))
        return titles[-1]

    monkeypatch.setattr(nav, "menu_title", recording)
    return titles


def _links(at) -> list[tuple[str, str, dict]]:
    """Return (label, url_path, query string) of every page link in the main area."""
    found = []
    for el in at.main.get("page_link"):
        proto = el.proto
        found.append((seen(proto.label), proto.page, proto.query_string))
    return found


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_an_empty_inbox_says_so_and_the_home_page_keeps_its_content(app_db, role, menu):
    at = app_as(role)

    assert not at.exception, at.exception
    assert EMPTY in texts(at)
    assert _links(at) == []
    assert not [t for t in menu if "·" in t]
    assert ("Open leads" if role == "rep" else "MQL") in {m.label for m in at.metric}


def test_a_reps_overdue_leads_link_to_their_queue_and_count_beside_it(app_db, menu):
    rep = _actor(app_db, "rep")
    make_lead(app_db, rep, first="Late", company="Acme", due_in=-timedelta(hours=2))
    at = app_as("rep")

    assert not at.exception, at.exception
    assert _links(at) == [
        (
            "**1** · Your leads past their SLA deadline: contact them first → My queue",
            "my-queue",
            "",
        )
    ]
    assert "Late Lee (Acme): first touch, overdue by 2 h 0 min" in texts(at)
    assert "My queue · 1" in menu


def test_a_proposal_shows_in_the_sales_leaders_inbox_with_its_whatif_headline(app_db, menu):
    activate(app_db, DEF, default_definition_content())
    marketing = _actor(app_db, "marketing_leader")
    content = default_definition_content()
    with write_session(app_db) as session:
        draft = create_draft(session, actor=marketing, kind=DEF, title="Wider net", content=content)
        propose(session, actor=marketing, version_id=draft.id, expected_version=draft.version)

    at = app_as("sales_leader")

    assert not at.exception, at.exception
    label, page, query = _links(at)[0]
    assert (page, query) == ("definition", "")
    assert label.startswith("**1** · Lead definition v2, “Wider net”, waits for your signature")
    assert (
        "What-if on the 0 leads of the last 90 days: 0 MQLs against 0 under the active v1."
        in texts(at)
    )
    assert "Lead definition · 1" in menu


def test_a_managers_breaches_link_to_the_team_queue_showing_overdue_leads_only(app_db, menu):
    rep = _actor(app_db, "rep")
    for first in ("Late", "Later"):
        make_lead(app_db, rep, first=first, due_in=-timedelta(hours=1))
    make_lead(app_db, rep, first="Fine", due_in=timedelta(days=2))
    at = app_as("sales_manager")

    assert not at.exception, at.exception
    label, page, query = _links(at)[0]
    assert (label, page, query) == (
        "**2** · Leads that broke the SLA → Team queue",
        "team-queue",
        "overdue=1",
    )
    assert "Team queue · 2" in menu

    at.query_params["overdue"] = "1"
    at.switch_page("pages/team_queue.py")
    at.run()

    assert not at.exception, at.exception
    assert next(c for c in at.checkbox if c.label == "Overdue only").value is True
    assert sorted(link_names(at.dataframe[0].value["Lead"])) == ["Late Lee", "Later Lee"]


def test_a_proposals_title_shows_as_typed_not_as_markdown(app_db):
    title = "**Bold** [offer](https://evil.example) <b>x</b>"
    marketing = _actor(app_db, "marketing_leader")
    content = default_definition_content()
    with write_session(app_db) as session:
        draft = create_draft(session, actor=marketing, kind=DEF, title=title, content=content)
        propose(session, actor=marketing, version_id=draft.id, expected_version=draft.version)

    at = app_as("sales_leader")

    assert not at.exception, at.exception
    (link,) = at.main.get("page_link")
    assert plain(title) in link.proto.label
    assert f"“{title}”" in seen(link.proto.label)
