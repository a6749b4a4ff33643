"""Funnel metrics on a small hand-built history with known answers, on both databases.

The history (New York SLA calendar; times UTC):
  L1 North  inquiry Mar 1 → mql Mar 2 → accepted → validated → sql → opportunity → won Apr 10
  L2 North  mql Mar 2 → validated Mar 4 (no accepted event) → lost Mar 25
  L3 South  mql Mar 2 → rejected (bad_data)
  L4 South  mql Mar 3 → accepted → disqualified (no_fit)
  L5 North  mql Mar 9, never touched, deadline Mar 9 19:00 (past at NOW)
  L6 North  mql Apr 14 15:00, deadline 19:00 (still inside its window at NOW)
  L7 —      inquiry Mar 5 only
  L8 North  mql Jan 5 → recycled (not_now) → inquiry Feb 2 → mql Feb 3 → validated
  L9 South  mql 2026-03-01 03:00 UTC, which is February 28 in New York; never touched
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import (
    breakdown,
    conversion_by_cohort,
    leakage,
    monthly_trend,
    velocity,
    version_markers,
    waterfall,
)
from leaddash.core.actor import Actor
from leaddash.db import make_engine, read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Role
from tests.conftest import make_user, pg_admin_url
from tests.event_history import TOUCH, Step, activate_sla, add_history, at

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

NOW = at("2026-04-14 17:00")
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
STAGES = ["inquiry", "mql", "accepted", "validated", "sql", "opportunity", "won"]


def _qualified(when: str) -> list[Step]:
    return [Step(when, "inquiry"), Step(when, "mql")]


def build_history(engine, rita, sam) -> None:
    """Store the nine leads of the module docstring."""
    north = {"owner_id": rita.id, "team_id": rita.team_id, "source": "Webinar"}
    south = {"owner_id": sam.id, "team_id": sam.team_id, "source": "Paid Search"}
    r, s = rita.id, sam.id
    add_history(
        engine,
        [
            Step("2026-03-01 12:00", "inquiry"),
            Step("2026-03-02 15:00", "mql"),
            Step("2026-03-02 16:00", "accepted", by=r),
            Step("2026-03-02 18:30", TOUCH, by=r),
            Step("2026-03-03 15:00", "validated", by=r),
            Step("2026-03-10 15:00", "sql", by=r),
            Step("2026-03-20 15:00", "opportunity", by=r),
            Step("2026-04-10 15:00", "won", by=r),
        ],
        **north,
    )
    add_history(
        engine,
        [
            Step("2026-03-02 14:00", "inquiry"),
            Step("2026-03-02 15:00", "mql"),
            Step("2026-03-03 15:00", TOUCH, by=r),
            Step("2026-03-04 15:00", "validated", by=r),
            Step("2026-03-25 15:00", "lost", by=r),
        ],
        **north,
    )
    add_history(
        engine,
        [
            *_qualified("2026-03-02 15:00"),
            Step("2026-03-02 17:00", "rejected", reason="bad_data", by=s),
        ],
        **south,
    )
    add_history(
        engine,
        [
            *_qualified("2026-03-03 15:00"),
            Step("2026-03-03 16:00", "accepted", by=s),
            Step("2026-03-03 16:00", TOUCH, by=s),
            Step("2026-03-05 15:00", "disqualified", reason="no_fit", by=s),
        ],
        **south,
    )
    add_history(
        engine,
        [Step("2026-03-09 14:00", "inquiry"), Step("2026-03-09 15:00", "mql")],
        touch_due_at=at("2026-03-09 19:00"),
        **north,
    )
    add_history(
        engine, _qualified("2026-04-14 15:00"), touch_due_at=at("2026-04-14 19:00"), **north
    )
    add_history(engine, [Step("2026-03-05 15:00", "inquiry")], source="Organic")
    add_history(
        engine,
        [
            Step("2026-01-05 15:00", "inquiry"),
            Step("2026-01-05 16:00", "mql"),
            Step("2026-01-06 15:00", "accepted", by=r),
            Step("2026-01-06 15:00", TOUCH, by=r),
            Step("2026-01-07 15:00", "recycled", reason="not_now", by=r),
            Step("2026-02-02 15:00", "inquiry"),
            Step("2026-02-03 15:00", "mql"),
            Step("2026-02-03 16:00", TOUCH, by=r),
            Step("2026-02-05 15:00", "validated", by=r),
        ],
        **north,
    )
    add_history(
        engine, _qualified("2026-03-01 03:00"), touch_due_at=at("2026-03-02 19:00"), **south
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A database of its own for this module's read-only tests, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('funnel') / 'funnel.db'}"
        yield from _engine_over(url)
        return
    admin = make_engine(pg_admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    name = f"leaddash_funnel_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield from _engine_over(
        make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _engine_over(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def make_people(engine) -> dict[str, Actor]:
    """Store the SLA, two reps (North, South), an admin and North's manager."""
    activate_sla(engine)
    rita = make_user(engine, "rita", Role.REP, team="North")
    sam = make_user(engine, "sam", Role.REP, team="South")
    boss = make_user(engine, "boss", Role.ADMIN)
    mona = make_user(engine, "mona", Role.SALES_MANAGER, team="North")
    return {"rita": rita, "sam": sam, "boss": boss, "mona": mona}


@pytest.fixture(scope="module")
def history(shared_engine) -> dict[str, Actor]:
    people = make_people(shared_engine)
    build_history(shared_engine, people["rita"], people["sam"])
    return people


@pytest.fixture
def people(engine) -> dict[str, Actor]:
    return make_people(engine)


def read(engine, metric, **kwargs) -> pd.DataFrame:
    """Return what `metric` answers on the engine's database."""
    with read_session(engine) as session:
        return metric(session, **kwargs)


def test_waterfall_counts_who_reached_each_stage_in_march_and_converts_by_cohort(
    shared_engine, history
):
    frame = read(shared_engine, waterfall, actor=history["boss"], filters=MARCH)

    assert frame["stage"].tolist() == STAGES
    assert frame["leads"].tolist() == [6, 5, 3, 2, 1, 1, 0]
    # won: the one opportunity of March was won in April, so its cohort converted fully
    assert frame["conversion"].tolist()[1:] == pytest.approx([5 / 6, 3 / 5, 2 / 3, 1 / 2, 1, 1])


def test_a_manager_sees_only_their_team(shared_engine, history):
    mine = read(shared_engine, waterfall, actor=history["mona"], filters=MARCH)
    other = read(
        shared_engine,
        waterfall,
        actor=history["mona"],
        filters=Filters(team_id=history["sam"].team_id),
    )

    assert mine["leads"].tolist() == [3, 3, 2, 2, 1, 1, 0]
    assert other.empty


def test_a_rep_may_not_read_dashboards(shared_engine, history):
    with pytest.raises(Forbidden):
        read(shared_engine, waterfall, actor=history["rita"], filters=MARCH)


def test_a_recycled_lead_qualified_again_counts_in_two_cohorts(shared_engine, history):
    frame = read(
        shared_engine,
        conversion_by_cohort,
        actor=history["boss"],
        filters=Filters(),
        from_stage="mql",
        to_stage="validated",
    )

    assert frame.to_dict("list") == {
        "cohort": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
        "entered": [1, 2, 5, 1],
        "reached": [0, 1, 2, 0],
        "rate": [0.0, 0.5, 0.4, 0.0],
    }


def test_a_conversion_backwards_is_refused_with_the_reason(shared_engine, history):
    with pytest.raises(InvalidInput, match="comes before"):
        read(
            shared_engine,
            conversion_by_cohort,
            actor=history["boss"],
            filters=Filters(),
            from_stage="validated",
            to_stage="mql",
        )


def test_leakage_splits_march_by_cause_and_reason(shared_engine, history):
    frame = read(shared_engine, leakage, actor=history["boss"], filters=MARCH, now=NOW)

    assert frame.astype(object).where(frame.notna(), None).values.tolist() == [
        ["inquiry → mql", "in progress", None, 1],
        ["mql → accepted", "rejected", "bad_data", 1],
        ["mql → accepted", "untouched", None, 1],
        ["accepted → validated", "disqualified", "no_fit", 1],
        ["validated → sql", "lost", None, 1],
    ]


def test_a_lead_inside_its_sla_window_is_in_progress_not_untouched(shared_engine, history):
    april = Filters(start=date(2026, 4, 1), end=date(2026, 4, 30))

    before = read(shared_engine, leakage, actor=history["boss"], filters=april, now=NOW)
    after = read(
        shared_engine, leakage, actor=history["boss"], filters=april, now=at("2026-04-14 19:01")
    )

    assert before[["pair", "cause", "leads"]].values.tolist() == [
        ["mql → accepted", "in progress", 1]
    ]
    assert after["cause"].tolist() == ["untouched"]


def test_months_are_new_york_months(shared_engine, history):
    february = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))

    frame = read(shared_engine, leakage, actor=history["boss"], filters=february, now=NOW)

    # L9 became an MQL at 03:00 UTC on March 1: 22:00 on February 28 in New York
    assert frame[["pair", "cause", "leads"]].values.tolist() == [
        ["mql → accepted", "untouched", 1],
        ["validated → sql", "in progress", 1],
    ]


def test_velocity_is_the_median_days_between_stages(shared_engine, history):
    frame = read(shared_engine, velocity, actor=history["boss"], filters=MARCH)

    assert frame["pair"].tolist() == [
        "inquiry → mql",
        "mql → accepted",
        "accepted → validated",
        "validated → sql",
        "sql → opportunity",
        "opportunity → won",
    ]
    # L2 went straight past accepted: it has no time there, so it makes neither step
    assert frame["leads"].tolist() == [5, 2, 1, 1, 1, 1]
    assert frame["median_days"].tolist() == pytest.approx(
        [1 / 24, 1 / 24, 23 / 24, 7, 10, 21], abs=1e-6
    )


def test_breakdown_by_team_names_each_team(shared_engine, history):
    frame = read(shared_engine, breakdown, actor=history["boss"], filters=MARCH, by="team")

    leads = {label: rows["leads"].tolist() for label, rows in frame.groupby("label")}
    assert leads == {
        "North": [3, 3, 2, 2, 1, 1, 0],
        "South": [2, 2, 1, 0, 0, 0, 0],
        "(none)": [1, 0, 0, 0, 0, 0, 0],
    }


def test_breakdown_by_definition_version_and_its_marker(engine, people):
    with write_session(engine) as session:
        version = AgreementVersion(
            kind=AgreementKind.DEFINITION,
            number=3,
            title="v3",
            status=AgreementStatus.ACTIVE,
            content={},
            effective_from=at("2026-02-15 14:00"),
        )
        session.add(version)
    add_history(engine, _qualified("2026-03-16 15:00"), definition_version_id=version.id)

    frame = read(engine, breakdown, actor=people["boss"], filters=MARCH, by="definition_version")

    assert frame[["label", "stage", "leads"]].values.tolist()[:3] == [
        ["Definition v3", "inquiry", 1],
        ["Definition v3", "mql", 1],
        ["Definition v3", "accepted", 0],
    ]
    assert read(engine, version_markers).values.tolist() == [
        [date(2024, 12, 31), "SLA v1 took effect", "sla"],
        [date(2026, 2, 15), "Definition v3 took effect", "definition"],
    ]


def test_a_breakdown_by_an_unknown_field_is_refused(shared_engine, history):
    with pytest.raises(InvalidInput, match="Break the funnel down by one of"):
        read(shared_engine, breakdown, actor=history["boss"], filters=MARCH, by="colour")


def test_monthly_trend_counts_each_stage_in_the_month_it_was_reached(shared_engine, history):
    feb_mar = Filters(start=date(2026, 2, 1), end=date(2026, 3, 31))

    frame = read(shared_engine, monthly_trend, actor=history["boss"], filters=feb_mar)

    feb, mar = date(2026, 2, 1), date(2026, 3, 1)
    assert frame.values.tolist() == [
        [feb, "inquiry", 2],
        [feb, "mql", 2],
        [feb, "accepted", 1],
        [feb, "validated", 1],
        [mar, "inquiry", 6],
        [mar, "mql", 5],
        [mar, "accepted", 3],
        [mar, "validated", 2],
        [mar, "sql", 1],
        [mar, "opportunity", 1],
    ]


@pytest.mark.parametrize(
    ("metric", "kwargs", "columns"),
    [
        (waterfall, {}, ["stage", "leads", "conversion", "went_past"]),
        (
            conversion_by_cohort,
            {"from_stage": "mql", "to_stage": "won"},
            ["cohort", "entered", "reached", "rate"],
        ),
        (leakage, {}, ["pair", "cause", "reason", "leads"]),
        (velocity, {}, ["pair", "median_days", "leads"]),
        (
            breakdown,
            {"by": "source"},
            ["value", "label", "stage", "leads", "conversion", "went_past"],
        ),
        (monthly_trend, {}, ["month", "stage", "leads"]),
    ],
)
def test_an_empty_database_gives_empty_frames_with_the_columns(
    engine, people, metric, kwargs, columns
):
    frame = read(engine, metric, actor=people["boss"], filters=Filters(), **kwargs)

    assert frame.empty
    assert frame.columns.tolist() == columns


def test_no_version_took_effect_gives_no_markers(engine):
    frame = read(engine, version_markers)

    assert frame.empty
    assert frame.columns.tolist() == ["date", "label", "kind"]
