"""Win rate and sales cycle (docs/metrics.md "Deals") on hand-built histories, on both
databases; every expected figure is computed here from the raw steps of DEALS.

The deals (New York SLA calendar; times UTC, away from month ends):
  rita (North)  R1 won in April after an opportunity; R2, R3 lost in April after one;
                R4 lost in April straight from mql. No open deal: 1 won / 3 lost.
  sam (South)   S1 won in April; S2 won in April straight from inquiry (no MQL or
                opportunity seen); S3 open since March; S4 open since April; S5 won in May;
                S6 reached sql in April, then recycled (out of the funnel: not open).
  nobody        N1 lost in April after an opportunity (no owner, no team, no source).
  rejected      X1 rejected in April: not a deal.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel

from leaddash.analytics.filters import Filters, month_key
from leaddash.analytics.wins import WIN_RATE_COLUMNS, win_rates
from leaddash.audit import Actor
from leaddash.db import make_engine, read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Role
from tests.conftest import make_user, throwaway_pg_database
from tests.event_history import Step, activate_sla, add_history, at

ZONE = ZoneInfo("America/New_York")
APRIL = Filters(start=date(2026, 4, 1), end=date(2026, 4, 30))
SPRING = Filters(start=date(2026, 3, 1), end=date(2026, 5, 31))
EXITS = {"rejected", "disqualified", "recycled", "lost"}
DEAL_STAGES = ("sql", "opportunity", "won")


@dataclass(frozen=True)
class Deal:
    """A lead of the module docstring: who owns it, its steps and its amount."""

    owner: str | None
    steps: tuple[Step, ...]
    amount: float | None = None
    source: str | None = None


def _path(day: str, *stages: str) -> tuple[Step, ...]:
    """Return steps into `stages`, one day apart from `day` (15:00 UTC)."""
    start = datetime.fromisoformat(f"{day} 15:00")
    return tuple(Step(f"{start + pd.Timedelta(days=i):%Y-%m-%d %H:%M}", stage)
                 for i, stage in enumerate(stages))


def _then(steps: tuple[Step, ...], when: str, stage: str) -> tuple[Step, ...]:
    return (*steps, Step(when, stage))


SOLD = ("inquiry", "mql", "accepted", "validated", "sql", "opportunity")
DEALS = {
    "R1": Deal("rita", _then(_path("2026-03-02", *SOLD), "2026-04-15 15:00", "won"), 12_000,
               "Webinar"),
    "R2": Deal("rita", _then(_path("2026-03-03", *SOLD), "2026-04-20 15:00", "lost"),
               source="Webinar"),
    "R3": Deal("rita", _then(_path("2026-03-10", *SOLD), "2026-04-22 09:00", "lost"),
               source="Paid Search"),
    "R4": Deal("rita", _then(_path("2026-03-05", "inquiry", "mql"), "2026-04-10 15:00",
                             "lost"), source="Webinar"),
    "S1": Deal("sam", _then(_path("2026-03-02", *SOLD), "2026-04-12 15:00", "won"), 30_000,
               "Paid Search"),
    "S2": Deal("sam", _then(_path("2026-03-01", "inquiry"), "2026-04-14 15:00", "won"), 5_000,
               "Paid Search"),
    "S3": Deal("sam", _path("2026-03-12", *SOLD), source="Paid Search"),
    "S4": Deal("sam", _path("2026-04-02", "inquiry", "mql", "sql"), source="Paid Search"),
    "S5": Deal("sam", _then(_path("2026-03-20", *SOLD), "2026-05-05 15:00", "won"), 7_500,
               "Paid Search"),
    "S6": Deal("sam", _then(_path("2026-04-03", "inquiry", "mql", "sql"), "2026-04-20 15:00",
                            "recycled"), source="Paid Search"),
    "N1": Deal(None, _then(_path("2026-03-04", *SOLD), "2026-04-09 15:00", "lost")),
    "X1": Deal("rita", _then(_path("2026-04-01", "inquiry", "mql"), "2026-04-02 15:00",
                             "rejected"), source="Webinar"),
}


def _month(when: str) -> int:
    return month_key(at(when).astimezone(ZONE).date())


def _days(earlier: str, later: str) -> float:
    return (at(later) - at(earlier)).total_seconds() / 86_400


def plain(deals: dict[str, Deal], filters: Filters) -> dict[str, object]:
    """Return the Deals figures of `deals`, counted straight from their steps."""
    lo, hi = month_key(filters.start), month_key(filters.end)
    won, lost, still_open, amount, cycle, mql_cycle = 0, 0, 0, 0.0, [], []
    for deal in deals.values():
        seen = {s.stage: s.when for s in reversed(deal.steps)}
        last = deal.steps[-1]
        closed = seen.get("won") or (last.when if last.stage == "lost" else None)
        if closed is not None and lo <= _month(closed) <= hi:
            won, lost = won + ("won" in seen), lost + ("won" not in seen)
            amount += (deal.amount or 0) if "won" in seen else 0
            cycle += [_days(seen["opportunity"], closed)] if "opportunity" in seen else []
            mql_cycle += [_days(seen["mql"], closed)] if "mql" in seen else []
        deal_start = next((s.when for s in deal.steps if s.stage in DEAL_STAGES), None)
        if (closed is None and last.stage not in EXITS and deal_start is not None
                and lo <= _month(deal_start) <= hi):
            still_open += 1
    median = (lambda days: statistics.median(days) if days else None)
    return {"won": won, "lost": lost, "open": still_open,
            "win_rate": won / (won + lost) if won + lost else None, "won_amount": amount,
            "median_cycle_days": median(cycle), "median_mql_to_close_days": median(mql_cycle)}


def _only(owner: str | None) -> dict[str, Deal]:
    return {name: d for name, d in DEALS.items() if d.owner == owner}


def store(engine: Engine, deals: dict[str, Deal], people: dict[str, Actor],
          **fields: object) -> None:
    """Store each deal as a lead with its history, owned by its rep (and their team)."""
    for deal in deals.values():
        owner = people.get(deal.owner) if deal.owner else None
        add_history(engine, list(deal.steps), amount=deal.amount, source=deal.source,
                    owner_id=owner.id if owner else None,
                    team_id=owner.team_id if owner else None, **fields)


def make_people(engine: Engine) -> dict[str, Actor]:
    """Store the SLA, two reps (North, South), an admin and North's manager."""
    activate_sla(engine)
    return {"rita": make_user(engine, "rita", Role.REP, team="North"),
            "sam": make_user(engine, "sam", Role.REP, team="South"),
            "boss": make_user(engine, "boss", Role.ADMIN),
            "mona": make_user(engine, "mona", Role.SALES_MANAGER, team="North")}


def _engine_over(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A database of its own for this module's read-only tests, on each backend."""
    if request.param == "sqlite":
        yield from _engine_over(f"sqlite:///{tmp_path_factory.mktemp('wins') / 'wins.db'}")
        return
    with throwaway_pg_database("wins") as url:
        yield from _engine_over(url)


@pytest.fixture(scope="module")
def history(shared_engine) -> dict[str, Actor]:
    people = make_people(shared_engine)
    store(shared_engine, DEALS, people)
    return people


def read(engine: Engine, actor: Actor, filters: Filters, by: str | None = None
         ) -> pd.DataFrame:
    with read_session(engine) as session:
        return win_rates(session, actor=actor, filters=filters, by=by)


def figures(row: pd.Series) -> dict[str, object]:
    """Return a row's figures as plain values (None for no value)."""
    return {k: None if pd.isna(row[k]) else row[k] for k in WIN_RATE_COLUMNS[1:]}


def assert_figures(row: pd.Series, expected: dict[str, object]) -> None:
    shown = figures(row)
    assert {k: shown[k] for k in ("won", "lost", "open")} == {
        k: expected[k] for k in ("won", "lost", "open")}
    assert shown == pytest.approx(expected, abs=1e-4)


def test_the_win_rate_counts_closed_deals_in_the_range_overall(shared_engine, history):
    frame = read(shared_engine, history["boss"], APRIL)

    assert list(frame.columns) == WIN_RATE_COLUMNS
    assert frame["label"].tolist() == ["all"]
    assert_figures(frame.iloc[0], plain(DEALS, APRIL))


def test_a_rep_with_no_open_deal_and_one_win_in_four_closes_has_25_percent(
        shared_engine, history):
    frame = read(shared_engine, history["boss"], SPRING, by="rep").set_index("label")

    assert frame.loc["Rita", "win_rate"] == 0.25
    assert (frame.loc["Rita", "won"], frame.loc["Rita", "lost"]) == (1, 3)
    assert frame.loc["Rita", "open"] == 0
    assert_figures(frame.loc["Rita"], plain(_only("rita"), SPRING))
    assert_figures(frame.loc["Sam"], plain(_only("sam"), SPRING))


def test_a_lead_lost_straight_from_mql_is_lost_and_only_in_the_mql_cycle(
        shared_engine, history):
    without = {k: d for k, d in _only("rita").items() if k != "R4"}
    frame = read(shared_engine, history["boss"], APRIL, by="rep").set_index("label")

    assert plain(_only("rita"), APRIL)["lost"] == plain(without, APRIL)["lost"] + 1
    assert frame.loc["Rita", "lost"] == plain(_only("rita"), APRIL)["lost"]
    assert frame.loc["Rita", "median_cycle_days"] == pytest.approx(
        plain(without, APRIL)["median_cycle_days"], abs=1e-4)
    assert frame.loc["Rita", "median_mql_to_close_days"] == pytest.approx(
        plain(_only("rita"), APRIL)["median_mql_to_close_days"], abs=1e-4)


def test_a_deal_won_straight_past_opportunity_is_in_no_cycle(shared_engine, history):
    seen = {k: d for k, d in _only("sam").items() if k != "S2"}
    frame = read(shared_engine, history["boss"], APRIL, by="rep").set_index("label")

    assert frame.loc["Sam", "won"] == plain(_only("sam"), APRIL)["won"] == 2
    assert frame.loc["Sam", "median_cycle_days"] == pytest.approx(
        plain(seen, APRIL)["median_cycle_days"], abs=1e-4)
    assert frame.loc["Sam", "median_mql_to_close_days"] == pytest.approx(
        plain(seen, APRIL)["median_mql_to_close_days"], abs=1e-4)


def test_deals_are_counted_in_the_month_they_closed_open_ones_when_they_reached_sql(
        shared_engine, history):
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    may = Filters(start=date(2026, 5, 1), end=date(2026, 5, 31))

    for filters in (march, APRIL, may):
        assert_figures(read(shared_engine, history["boss"], filters).iloc[0],
                       plain(DEALS, filters))
    assert read(shared_engine, history["boss"], may)["won"].tolist() == [1]


def test_open_deals_never_change_the_rate(engine):
    people = make_people(engine)
    store(engine, _only("rita"), people)
    before = read(engine, people["boss"], SPRING).iloc[0]
    store(engine, {k: DEALS[k] for k in ("S3", "S4")}, people)

    after = read(engine, people["boss"], SPRING).iloc[0]

    assert after["open"] == before["open"] + 2 == 2
    assert after["win_rate"] == before["win_rate"] == 0.25


def test_a_manager_sees_only_their_team_whatever_team_they_ask_for(shared_engine, history):
    mine = read(shared_engine, history["mona"], SPRING)
    asked = read(shared_engine, history["mona"], Filters(start=SPRING.start, end=SPRING.end,
                                                        team_id=history["sam"].team_id))
    by_team = read(shared_engine, history["mona"], SPRING, by="team")

    assert_figures(mine.iloc[0], plain(_only("rita"), SPRING))
    assert asked[["won", "lost", "open"]].values.tolist() == [[0, 0, 0]]
    assert by_team["label"].tolist() == ["North"]


def test_a_rep_may_not_read_the_win_rate(shared_engine, history):
    with pytest.raises(Forbidden):
        read(shared_engine, history["rita"], SPRING)


@pytest.mark.parametrize(("by", "labels"), [
    ("rep", ["Rita", "Sam", "(none)"]),
    ("team", ["North", "South", "(none)"]),
    ("source", ["Paid Search", "Webinar", "(none)"]),
])
def test_groups_are_named_as_in_the_funnel_breakdown(shared_engine, history, by, labels):
    frame = read(shared_engine, history["boss"], SPRING, by=by)

    assert list(frame.columns) == ["value", *WIN_RATE_COLUMNS]
    assert frame["label"].tolist() == labels
    assert frame["value"].iloc[-1] is None
    assert frame[["won", "lost", "open"]].sum().tolist() == [
        plain(DEALS, SPRING)[k] for k in ("won", "lost", "open")]


def test_a_group_by_definition_version_reads_definition_v3(engine):
    people = make_people(engine)
    with write_session(engine) as session:
        version = AgreementVersion(kind=AgreementKind.DEFINITION, number=3, title="v3",
                                   status=AgreementStatus.ACTIVE, content={})
        session.add(version)
    store(engine, {"R1": DEALS["R1"]}, people, definition_version_id=version.id)

    frame = read(engine, people["boss"], SPRING, by="definition_version")

    assert frame[["value", "label", "won"]].values.tolist() == [[version.id, "Definition v3", 1]]


def test_nothing_closed_gives_one_row_all_without_a_rate(engine):
    people = make_people(engine)

    frame = read(engine, people["boss"], SPRING)
    grouped = read(engine, people["boss"], SPRING, by="rep")

    assert figures(frame.iloc[0]) == {"won": 0, "lost": 0, "open": 0, "win_rate": None,
                                      "won_amount": 0.0, "median_cycle_days": None,
                                      "median_mql_to_close_days": None}
    assert frame["label"].tolist() == ["all"]
    assert grouped.empty and list(grouped.columns) == ["value", *WIN_RATE_COLUMNS]


def test_an_unknown_grouping_is_refused_with_the_choices(shared_engine, history):
    with pytest.raises(InvalidInput, match="Break the win rate down by one of source"):
        read(shared_engine, history["boss"], SPRING, by="colour")
