"""AppTest runs of the what-if replay page, on an empty database and on a small demo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import make_engine, read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.models import AgreementStatus, AgreementVersion, Role
from leaddash.ui import whatif as page
from leaddash.ui.whatif import EMPTY_WINDOW, NO_VERSIONS, conclusion, default_window
from leaddash.whatif import replay
from tests.apptest import app_as, texts, use_database
from tests.report_demo import copy_of, small_demo, template

PAGE = "pages/whatif.py"
ALLOWED = [Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.SALES_MANAGER, Role.MARKETING]
TODAY = date(2026, 6, 15)  # a fixed clock: the demo is seeded as of this day
SINCE = (TODAY - timedelta(days=150)).replace(day=1)
UNTIL = TODAY - timedelta(days=1)


@pytest.fixture
def demo_db(tmp_path_factory, tmp_path, monkeypatch):
    """A SQLite copy of a small demo (its logins are named after the roles), seeded once
    per test run."""
    import streamlit as st

    demo = template(tmp_path_factory, f"demo-400x4-{TODAY}", small_demo(400, 4, today=TODAY))
    engine = make_engine(copy_of(demo, tmp_path))
    use_database(engine, monkeypatch)
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _versions(engine) -> dict[str, AgreementVersion]:
    """Return the demo's first (retired) definition version and its active one."""
    with read_session(engine) as session:
        rows = session.exec(
            select(AgreementVersion)
            .where(AgreementVersion.kind == "definition")
            .order_by(AgreementVersion.number)
        ).all()
    return {"first": rows[0], "active": next(r for r in rows if r.status == "active")}


def _choose(at, *, version: int | None = None, since: date = SINCE, until: date = UNTIL):
    if version is not None:
        next(s for s in at.selectbox if s.label == "Definition version to try").set_value(version)
    dates = {d.label: d for d in at.date_input}
    dates["Leads created from"].set_value(since)
    dates["Leads created until (included)"].set_value(until)
    return at.run()


def _run(at):
    next(b for b in at.button if b.label == "Run the replay").click()
    return at.run()


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("role", ALLOWED)
def test_each_allowed_role_opens_the_page_over_the_demo(demo_db, role):
    at = app_as(role.value, PAGE)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["What-if replay"]
    assert "Press **Run the replay**" in texts(at)
    assert not at.metric


def test_the_pickers_list_every_version_and_compare_against_the_active_one(demo_db):
    versions = _versions(demo_db)
    at = app_as("marketing_leader", PAGE)
    tried, against = at.selectbox[0], at.selectbox[1]

    active = versions["active"]
    assert against.value == active.id
    assert f"v{active.number} · active · " in against.options[against.index]
    assert any(" · retired · " in o for o in tried.options)
    assert tried.value != active.id


def test_the_replay_shows_the_numbers_the_service_gives(demo_db):
    versions = _versions(demo_db)
    at = _run(_choose(app_as("marketing_leader", PAGE), version=versions["first"].id))
    with read_session(demo_db) as session:
        expected = replay(
            session,
            actor=CLI_ACTOR,
            version_id=versions["first"].id,
            against_id=versions["active"].id,
            since=SINCE,
            until=UNTIL,
        )
    tried, base = expected.outcomes["candidate"], expected.outcomes["baseline"]

    assert not at.exception, at.exception
    assert expected.leads > 0 and tried.decided > 0
    assert _metrics(at) == {
        "Precision": f"{tried.precision:.0%}",
        "Recall": f"{tried.recall:.0%}",
        "Won deals caught": f"{tried.won_caught:,} of {tried.won_caught + tried.won_missed:,}",
        "MQLs": f"{tried.mqls:,}",
    }
    assert [m.delta for m in at.metric][3] == f"{tried.mqls - base.mqls:+,}"
    assert f"**{conclusion(expected)}**" in texts(at)
    overlap = expected.overlap
    assert (
        f"both: {overlap.both:,} · only v{expected.candidate.number}: "
        f"{overlap.only_candidate:,} · only v{expected.baseline.number}: "
        f"{overlap.only_baseline:,}"
    ) in texts(at)
    assert len(at.get("vega_lite_chart")) == 2


def test_reruns_show_the_last_result_without_replaying_again(demo_db, monkeypatch):
    calls = []
    monkeypatch.setattr(page, "replay", lambda *a, **k: calls.append(k) or replay(*a, **k))
    at = _run(_choose(app_as("sales_leader", PAGE), version=_versions(demo_db)["first"].id))
    shown = _metrics(at)

    at.run()

    assert not at.exception
    assert len(calls) == 1
    assert _metrics(at) == shown


def test_changing_the_window_asks_for_a_new_run(demo_db):
    at = _run(_choose(app_as("sales_manager", PAGE), version=_versions(demo_db)["first"].id))

    _choose(at, since=SINCE + timedelta(days=7))

    assert not at.exception
    assert not at.metric
    assert "the choices changed since the last run" in texts(at)


def test_an_empty_window_says_to_widen_the_dates(demo_db):
    two_years_ago = TODAY - timedelta(days=730)
    at = _run(
        _choose(
            app_as("marketing", PAGE), since=two_years_ago, until=two_years_ago + timedelta(days=90)
        )
    )

    assert not at.exception
    assert EMPTY_WINDOW in texts(at)
    assert not at.metric
    assert not at.get("vega_lite_chart")


def test_a_window_that_ends_before_it_starts_shows_a_plain_message(demo_db):
    at = _run(_choose(app_as("admin", PAGE), since=UNTIL, until=SINCE))

    assert not at.exception
    assert f"The window starts ({UNTIL}) after it ends ({SINCE})." in texts(at)
    assert not at.metric


def test_a_database_with_a_definition_but_no_leads_says_to_widen_the_dates(app_db):
    with write_session(app_db) as session:
        session.add_all(
            [
                AgreementVersion(
                    kind="definition",
                    number=1,
                    title="Launch",
                    status=AgreementStatus.ACTIVE,
                    content=default_definition_content(),
                ),
                AgreementVersion(
                    kind="definition",
                    number=2,
                    title="Looser",
                    content={**default_definition_content(), "threshold": 10},
                ),
            ]
        )
    at = _run(app_as("marketing_leader", PAGE))

    assert not at.exception
    assert EMPTY_WINDOW in texts(at)
    assert not at.get("vega_lite_chart")


def test_a_single_version_asks_for_a_draft_to_compare_with(app_db):
    with write_session(app_db) as session:
        session.add(
            AgreementVersion(
                kind="definition",
                number=1,
                title="Launch",
                status=AgreementStatus.ACTIVE,
                content=default_definition_content(),
            )
        )
    at = app_as("sales_leader", PAGE)

    assert not at.exception
    assert "v1 is the only lead definition so far" in texts(at)
    assert [b.label for b in at.button] == ["Log out"]


def test_an_empty_database_says_there_is_no_definition_yet(app_db):
    at = app_as("marketing_leader", PAGE)

    assert not at.exception
    assert NO_VERSIONS in texts(at)
    assert [b.label for b in at.button] == ["Log out"]


def test_a_rep_cannot_open_the_page(app_db):
    at = app_as("rep")

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


@pytest.mark.parametrize(
    ("today", "window"),
    [
        (date(2026, 11, 22), (date(2026, 5, 1), date(2026, 10, 31))),
        (date(2026, 1, 1), (date(2025, 7, 1), date(2025, 12, 31))),
        (date(2026, 7, 31), (date(2026, 1, 1), date(2026, 6, 30))),
    ],
)
def test_the_default_window_is_the_last_six_full_months(today, window):
    assert default_window(today) == window
