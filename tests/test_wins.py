"""Win rate and sales cycle (docs/metrics.md "Deals") on the hand-built deals of
tests/deal_history.py, on both databases; every expected figure is counted from their raw
steps (deal_history.plain)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine

from leaddash.analytics.filters import Filters
from leaddash.analytics.wins import WIN_RATE_COLUMNS, win_rates
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion
from tests.deal_history import DEALS, SPRING, database, make_people, only, plain, store

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

APRIL = Filters(start=date(2026, 4, 1), end=date(2026, 4, 30))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A database of its own for this module's read-only tests, on each backend."""
    with database(request.param, tmp_path_factory.mktemp("wins")) as engine:
        yield engine


@pytest.fixture(scope="module")
def history(shared_engine) -> dict[str, Actor]:
    people = make_people(shared_engine)
    store(shared_engine, DEALS, people)
    return people


def read(engine: Engine, actor: Actor, filters: Filters, by: str | None = None) -> pd.DataFrame:
    with read_session(engine) as session:
        return win_rates(session, actor=actor, filters=filters, by=by)


def figures(row: pd.Series) -> dict[str, object]:
    """Return a row's figures as plain values (None for no value)."""
    return {k: None if pd.isna(row[k]) else row[k] for k in WIN_RATE_COLUMNS[1:]}


def assert_figures(row: pd.Series, expected: dict[str, object]) -> None:
    shown = figures(row)
    assert {k: shown[k] for k in ("won", "lost", "open")} == {
        k: expected[k] for k in ("won", "lost", "open")
    }
    assert shown == pytest.approx(expected, abs=1e-4)


def test_the_win_rate_counts_closed_deals_in_the_range_overall(shared_engine, history):
    frame = read(shared_engine, history["boss"], APRIL)

    assert list(frame.columns) == WIN_RATE_COLUMNS
    assert frame["label"].tolist() == ["all"]
    assert_figures(frame.iloc[0], plain(DEALS, APRIL))


def test_a_rep_with_no_open_deal_and_one_win_in_four_closes_has_25_percent(shared_engine, history):
    frame = read(shared_engine, history["boss"], SPRING, by="rep").set_index("label")

    assert frame.loc["Rita", "win_rate"] == 0.25
    assert (frame.loc["Rita", "won"], frame.loc["Rita", "lost"]) == (1, 3)
    assert frame.loc["Rita", "open"] == 0
    assert_figures(frame.loc["Rita"], plain(only("rita"), SPRING))
    assert_figures(frame.loc["Sam"], plain(only("sam"), SPRING))


def test_a_lead_lost_straight_from_mql_is_lost_and_only_in_the_mql_cycle(shared_engine, history):
    without = {k: d for k, d in only("rita").items() if k != "R4"}
    frame = read(shared_engine, history["boss"], APRIL, by="rep").set_index("label")

    assert plain(only("rita"), APRIL)["lost"] == plain(without, APRIL)["lost"] + 1
    assert frame.loc["Rita", "lost"] == plain(only("rita"), APRIL)["lost"]
    assert frame.loc["Rita", "median_cycle_days"] == pytest.approx(
        plain(without, APRIL)["median_cycle_days"], abs=1e-4
    )
    assert frame.loc["Rita", "median_mql_to_close_days"] == pytest.approx(
        plain(only("rita"), APRIL)["median_mql_to_close_days"], abs=1e-4
    )


def test_a_deal_won_straight_past_opportunity_is_in_no_cycle(shared_engine, history):
    seen = {k: d for k, d in only("sam").items() if k != "S2"}
    frame = read(shared_engine, history["boss"], APRIL, by="rep").set_index("label")

    assert frame.loc["Sam", "won"] == plain(only("sam"), APRIL)["won"] == 3
    assert frame.loc["Sam", "median_cycle_days"] == pytest.approx(
        plain(seen, APRIL)["median_cycle_days"], abs=1e-4
    )
    assert frame.loc["Sam", "median_mql_to_close_days"] == pytest.approx(
        plain(seen, APRIL)["median_mql_to_close_days"], abs=1e-4
    )


def test_deals_are_counted_in_the_month_they_closed_open_ones_when_they_reached_sql(
    shared_engine, history
):
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    may = Filters(start=date(2026, 5, 1), end=date(2026, 5, 31))

    for filters in (march, APRIL, may):
        assert_figures(read(shared_engine, history["boss"], filters).iloc[0], plain(DEALS, filters))
    assert read(shared_engine, history["boss"], may)[["won", "won_amount"]].values.tolist() == [
        [1, 0.0]
    ]


def test_open_deals_never_change_the_rate(engine):
    people = make_people(engine)
    store(engine, only("rita"), people)
    before = read(engine, people["boss"], SPRING).iloc[0]
    store(engine, {k: DEALS[k] for k in ("S3", "S4")}, people)

    after = read(engine, people["boss"], SPRING).iloc[0]

    assert after["open"] == before["open"] + 2 == 2
    assert after["win_rate"] == before["win_rate"] == 0.25


def test_a_manager_sees_only_their_team_whatever_team_they_ask_for(shared_engine, history):
    mine = read(shared_engine, history["mona"], SPRING)
    asked = read(
        shared_engine,
        history["mona"],
        Filters(start=SPRING.start, end=SPRING.end, team_id=history["sam"].team_id),
    )
    by_team = read(shared_engine, history["mona"], SPRING, by="team")

    assert_figures(mine.iloc[0], plain(only("rita"), SPRING))
    assert asked[["won", "lost", "open"]].values.tolist() == [[0, 0, 0]]
    assert by_team["label"].tolist() == ["North"]


def test_a_rep_may_not_read_the_win_rate(shared_engine, history):
    with pytest.raises(Forbidden):
        read(shared_engine, history["rita"], SPRING)


@pytest.mark.parametrize(
    ("by", "labels"),
    [
        ("rep", ["Rita", "Sam", "(none)"]),
        ("team", ["North", "South", "(none)"]),
        ("source", ["=HYPERLINK(1)", "Paid Search", "Webinar", "(none)"]),
    ],
)
def test_groups_are_named_as_in_the_funnel_breakdown(shared_engine, history, by, labels):
    frame = read(shared_engine, history["boss"], SPRING, by=by)

    assert list(frame.columns) == ["value", *WIN_RATE_COLUMNS]
    assert frame["label"].tolist() == labels
    assert frame["value"].iloc[-1] is None
    assert frame[["won", "lost", "open"]].sum().tolist() == [
        plain(DEALS, SPRING)[k] for k in ("won", "lost", "open")
    ]


def test_a_group_by_definition_version_reads_definition_v3(engine):
    people = make_people(engine)
    with write_session(engine) as session:
        version = AgreementVersion(
            kind=AgreementKind.DEFINITION,
            number=3,
            title="v3",
            status=AgreementStatus.ACTIVE,
            content={},
        )
        session.add(version)
    store(engine, {"R1": DEALS["R1"]}, people, definition_version_id=version.id)

    frame = read(engine, people["boss"], SPRING, by="definition_version")

    assert frame[["value", "label", "won"]].values.tolist() == [[version.id, "Definition v3", 1]]


def test_nothing_closed_gives_one_row_all_without_a_rate(engine):
    people = make_people(engine)

    frame = read(engine, people["boss"], SPRING)
    grouped = read(engine, people["boss"], SPRING, by="rep")

    assert figures(frame.iloc[0]) == {
        "won": 0,
        "lost": 0,
        "open": 0,
        "win_rate": None,
        "won_amount": 0.0,
        "median_cycle_days": None,
        "median_mql_to_close_days": None,
    }
    assert frame["label"].tolist() == ["all"]
    assert grouped.empty and list(grouped.columns) == ["value", *WIN_RATE_COLUMNS]


def test_an_unknown_grouping_is_refused_with_the_choices(shared_engine, history):
    with pytest.raises(InvalidInput, match="Break the win rate down by one of source"):
        read(shared_engine, history["boss"], SPRING, by="colour")
