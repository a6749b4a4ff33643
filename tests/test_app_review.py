"""The monthly review page: AppTest runs on an empty database and on a small demo, for a
leader and for a manager (who sees their own team), and the months offered."""

from __future__ import annotations

import streamlit as st

from leaddash.agreements.reads import active_version
from leaddash.db import read_session
from leaddash.models import Role
from leaddash.reports.model import last_full_month
from leaddash.ui.nav import pages_for
from leaddash.ui.review import NOTHING_YET
from tests.apptest import app_as, one_user_per_role, texts, use_database

PAGE = "pages/review.py"
DOWNLOADS = [
    "Download the review (HTML, works offline)",
    "Download its tables (CSV files in a zip)",
]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_role_but_rep_has_the_page():
    roles = {role for role in Role if any(p.script == "review.py" for p in pages_for(role))}
    assert roles == set(Role) - {Role.REP}


def test_empty_database_says_there_is_nothing_yet(engine, monkeypatch):
    use_database(engine, monkeypatch)
    one_user_per_role(engine)
    at = app_as("sales_leader", PAGE)
    assert not at.exception
    assert NOTHING_YET in texts(at)
    assert set(_metrics(at).values()) == {"—"}
    st.cache_resource.clear()


def test_leader_sees_the_last_full_month_with_downloads(demo):
    at = app_as("sales_leader", PAGE)
    assert not at.exception
    month = at.selectbox(key="review_month")
    assert month.value == last_full_month()
    metrics = _metrics(at)
    assert int(metrics["MQLs"]) > 0 and metrics["Validation rate"].endswith("%")
    # The demo's MQL target is its median past month, so it moves with the day it is seeded.
    with read_session(demo) as session:
        target = active_version(session, "sla").content["marketing"]["mql_target_per_month"]
    assert f"Target {target:,}:" in texts(at)
    assert [b.label for b in at.get("download_button")] == DOWNLOADS
    assert "Where leads left the funnel" in texts(at)


def test_manager_sees_only_their_team(demo):
    leader = _metrics(app_as("sales_leader", PAGE))
    at = app_as("sales_manager", PAGE)
    assert not at.exception
    assert "Counts your team's leads only" in texts(at)
    assert "No target for this view" in texts(at)
    assert 0 < int(_metrics(at)["MQLs"]) < int(leader["MQLs"])


def test_picking_an_older_month_without_leads(demo):
    at = app_as("marketing_leader", PAGE)
    month = at.selectbox(key="review_month")
    month.select_index(len(month.options) - 1).run()
    assert not at.exception
    assert NOTHING_YET in texts(at)


def _win_rate_table(at):
    return next(frame.value for frame in at.dataframe if "Win rate" in frame.value.columns)


def test_the_win_rate_by_team_follows_all_teams_in_words_people_read(demo):
    leader = app_as("sales_leader", PAGE)
    manager = app_as("sales_manager", PAGE)

    assert not leader.exception and not manager.exception
    table = _win_rate_table(leader)
    assert list(table.columns) == [
        "Team",
        "Won",
        "Lost",
        "Open",
        "Win rate",
        "Won amount",
        "Median days opportunity → close",
        "Median days MQL → close",
    ]
    assert table["Team"].tolist()[0] == "All teams"
    assert {"East", "West", "Enterprise"} <= set(table["Team"])
    assert all(rate.endswith("%") or rate == "—" for rate in table["Win rate"])
    assert _win_rate_table(manager)["Team"].tolist() == ["All teams", "East"]
    assert "open deals are not in the rate" in texts(leader)
