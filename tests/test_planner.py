"""Revenue planner: measured conversions, plan arithmetic, carrying a target into an SLA draft."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leaddash.agreements import active_version, create_draft, propose, sign
from leaddash.charts import reverse_waterfall_chart
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementStatus, AgreementVersion, Lead, Role, StageEvent
from leaddash.planner import (
    STEPS,
    carry_into_sla_draft,
    conversion_table,
    current_mql_target,
    default_window,
    measured_conversions,
    measured_deal_size,
    plan_frame,
    plan_mqls,
    with_mql_target,
)
from leaddash.sla import default_sla_content, summarize_sla, validate_sla
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)
IN_WINDOW = datetime(2026, 3, 10, 9, tzinfo=UTC)

# Each lead's path; a stage is entered one day after the previous one, from IN_WINDOW.
PATHS = [
    ["inquiry", "mql", "accepted", "validated", "sql", "opportunity", "won"],
    ["inquiry", "mql", "accepted", "validated", "sql", "opportunity", "lost"],
    ["inquiry", "mql", "accepted", "validated", "opportunity"],  # skips sql
    ["inquiry", "mql", "accepted", "disqualified"],
    ["inquiry", "mql", "rejected"],
]
AMOUNT_WON = 50_000.0


def _add_lead(session, path: list[str], start: datetime, amount: float | None = None) -> None:
    lead = Lead(email="lead@example.com", stage=path[-1], amount=amount)
    session.add(lead)
    session.flush()
    previous = None
    for day, stage in enumerate(path):
        session.add(
            StageEvent(
                lead_id=lead.id,
                from_stage=previous,
                to_stage=stage,
                occurred_at=start + timedelta(days=day),
            )
        )
        previous = stage


@pytest.fixture
def history(engine):
    """Five leads with known paths that enter MQL inside the window, and one won lead
    that entered MQL the month before (outside the window)."""
    with write_session(engine) as session:
        for path in PATHS:
            amount = AMOUNT_WON if path[-1] == "won" else None
            _add_lead(session, path, IN_WINDOW, amount)
        _add_lead(session, PATHS[0], SINCE - timedelta(days=20), amount=999_999.0)
    return engine


@pytest.fixture
def leader(engine):
    return make_user(engine, "mia", Role.MARKETING_LEADER)


def _measure(engine, actor, since=SINCE, until=UNTIL):
    with read_session(engine) as session:
        return measured_conversions(session, actor=actor, since=since, until=until)


def test_conversions_count_the_cohort_that_entered_each_stage_in_the_window(history, leader):
    conversions = _measure(history, leader)

    # 5 MQLs → 4 accepted → 3 validated → 3 reached sql (one skipped it) → 3 opportunities
    # → 1 won. The lead that entered MQL before the window is not counted at all.
    assert conversions == {
        "accepted": 4 / 5,
        "validated": 3 / 4,
        "sql": 3 / 3,
        "opportunity": 3 / 3,
        "won": 1 / 3,
    }


def test_conversion_table_shows_the_counts_behind_each_share(history, leader):
    with read_session(history) as session:
        table = conversion_table(session, actor=leader, since=SINCE, until=UNTIL)

    assert list(zip(table["from_stage"], table["to_stage"], strict=True)) == list(STEPS)
    assert table["entered"].tolist() == [5, 4, 3, 3, 3]
    assert table["reached"].tolist() == [4, 3, 3, 3, 1]


def test_a_stage_entered_after_the_window_starts_a_later_cohort(history, leader):
    # The window ends on the MQL day: the later stages were entered after it.
    conversions = _measure(history, leader, until=IN_WINDOW + timedelta(days=1, hours=1))

    assert conversions["accepted"] == 4 / 5  # reaching accepted later still counts
    assert conversions["validated"] == 0.0  # no lead entered accepted in the window
    assert conversions["won"] == 0.0


def test_the_lead_outside_the_window_forms_its_own_cohort(history, leader):
    earlier = _measure(history, leader, since=SINCE - timedelta(days=31), until=SINCE)

    assert earlier == {
        "accepted": 1.0,
        "validated": 1.0,
        "sql": 1.0,
        "opportunity": 1.0,
        "won": 1.0,
    }


def test_measured_deal_size_is_the_mean_amount_won_by_the_cohort(history, leader):
    with read_session(history) as session:
        size = measured_deal_size(session, actor=leader, since=SINCE, until=UNTIL)
        nothing = measured_deal_size(
            session, actor=leader, since=UNTIL, until=UNTIL + timedelta(days=30)
        )

    assert size == AMOUNT_WON
    assert nothing is None


def test_an_empty_database_measures_zero_everywhere(engine, leader):
    assert set(_measure(engine, leader).values()) == {0.0}


def test_a_rep_may_not_see_measured_conversions(history):
    rep = make_user(history, "rita", Role.REP, team="East")
    with pytest.raises(Forbidden, match="A rep may not see the measured stage conversions"):
        _measure(history, rep)


def test_a_window_that_ends_before_it_starts_is_refused(history, leader):
    with pytest.raises(InvalidInput, match="must end after it starts"):
        _measure(history, leader, since=UNTIL, until=SINCE)


def test_default_window_is_six_whole_months_ending_three_months_ago():
    assert default_window(date(2026, 11, 22)) == (date(2026, 2, 1), date(2026, 8, 1))
    assert default_window(date(2026, 2, 5)) == (date(2025, 5, 1), date(2025, 11, 1))


CONVERSIONS = {"accepted": 0.8, "validated": 0.6, "sql": 0.5, "opportunity": 0.8, "won": 0.25}


def test_plan_works_back_from_the_goal_to_mqls_a_month():
    plan = plan_mqls(1_200_000, 12, 10_000, CONVERSIONS)

    # 120 deals ÷ 0.25 = 480 opportunities ÷ 0.8 = 600 SQLs ÷ 0.5 = 1,200 validated
    # ÷ 0.6 = 2,000 accepted ÷ 0.8 = 2,500 MQLs, 208.3 a month → 209.
    assert plan.deals_needed == 120
    assert [(n.stage, round(n.leads, 6)) for n in plan.stages] == [
        ("won", 120),
        ("opportunity", 480),
        ("sql", 600),
        ("validated", 1200),
        ("accepted", 2000),
        ("mql", 2500),
    ]
    assert plan.mqls_needed == pytest.approx(2500)
    assert plan.mqls_per_month == 209


def test_plan_does_not_round_float_noise_up_to_an_extra_mql():
    plan = plan_mqls(1_200_000, 10, 10_000, CONVERSIONS)  # exactly 250 MQLs a month

    assert plan.mqls_per_month == 250


def test_plan_frame_lists_stages_from_won_back_to_mql_per_month():
    frame = plan_frame(plan_mqls(1_200_000, 12, 10_000, CONVERSIONS))

    assert frame["stage"].tolist() == ["won", "opportunity", "sql", "validated", "accepted", "mql"]
    assert frame["per_month"].round(6).tolist() == [
        10,
        40,
        50,
        100,
        pytest.approx(166.666667),
        pytest.approx(208.333333),
    ]
    assert frame["conversion"].tolist()[1:] == [0.25, 0.8, 0.5, 0.6, 0.8]


@pytest.mark.parametrize(
    ("goal", "deal", "message"),
    [
        (1_000_000, 0, "The average deal size must be more than zero."),
        (1_000_000, -5, "The average deal size must be more than zero."),
        (0, 10_000, "The revenue goal must be more than zero."),
    ],
)
def test_plan_refuses_a_goal_or_deal_size_that_is_not_positive(goal, deal, message):
    with pytest.raises(InvalidInput) as refused:
        plan_mqls(goal, 12, deal, CONVERSIONS)
    assert refused.value.message == message


def test_plan_names_the_step_with_no_measured_conversion():
    with pytest.raises(InvalidInput) as refused:
        plan_mqls(1_000_000, 12, 10_000, {**CONVERSIONS, "sql": 0.0})

    assert refused.value.message == (
        "There is no measured conversion for Validated → SQL: no lead in the window made "
        "that step. Enter an override for it."
    )
    assert refused.value.field == "sql"


def test_plan_refuses_a_missing_step_and_a_share_above_one():
    missing = {k: v for k, v in CONVERSIONS.items() if k != "won"}
    with pytest.raises(InvalidInput, match="Opportunity → Won"):
        plan_mqls(1_000_000, 12, 10_000, missing)
    with pytest.raises(InvalidInput, match="at most 100%"):
        plan_mqls(1_000_000, 12, 10_000, {**CONVERSIONS, "accepted": 1.5})
    with pytest.raises(InvalidInput, match="at least one whole month"):
        plan_mqls(1_000_000, 0, 10_000, CONVERSIONS)


def test_reverse_waterfall_draws_bars_from_won_to_mql_and_says_when_empty():
    frame = plan_frame(plan_mqls(1_200_000, 12, 10_000, CONVERSIONS))

    spec = reverse_waterfall_chart(frame).to_dict()
    empty = reverse_waterfall_chart(frame.iloc[0:0]).to_dict()

    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == [
        "Won",
        "Opportunity",
        "SQL",
        "Validated",
        "Accepted",
        "MQL",
    ]
    assert bars["encoding"]["x"]["title"] == "Leads needed per month"
    assert empty["mark"]["type"] == "text"


def test_with_mql_target_scales_segment_targets_to_keep_their_shares():
    terms = with_mql_target(default_sla_content(), 209)  # default: 900 = 400 + 350 + 150

    assert terms["marketing"]["mql_target_per_month"] == 209
    assert terms["marketing"]["mql_target_by_segment"] == {
        "SMB": 93,
        "Mid-Market": 81,
        "Enterprise": 35,
    }


def _activate_sla(engine, target: int) -> AgreementVersion:
    mia = make_user(engine, "mia.signer", Role.MARKETING_LEADER)
    sam = make_user(engine, "sam.signer", Role.SALES_LEADER)
    content = with_mql_target(default_sla_content(), target)
    with write_session(engine) as s:
        v = create_draft(
            s,
            actor=mia,
            kind="sla",
            title="Current SLA",
            content=content,
            validate=validate_sla,
            summarize=summarize_sla,
        )
        v = propose(s, actor=mia, version_id=v.id, expected_version=v.version)
        v = sign(s, actor=mia, version_id=v.id, expected_version=v.version).version
        return sign(s, actor=sam, version_id=v.id, expected_version=v.version).version


def test_carry_into_sla_draft_starts_a_draft_and_leaves_the_active_sla_alone(engine, leader):
    active = _activate_sla(engine, 200)

    with write_session(engine) as session:
        draft = carry_into_sla_draft(session, actor=leader, mqls_per_month=209)

    with read_session(engine) as session:
        still_active = active_version(session, "sla")
        saved = session.get(AgreementVersion, draft.id)
        assert current_mql_target(session) == 200
    assert still_active.id == active.id
    assert still_active.content["marketing"]["mql_target_per_month"] == 200
    assert saved.status == AgreementStatus.DRAFT
    assert saved.kind == "sla" and saved.number == active.number + 1
    assert saved.based_on_id == active.id
    assert saved.title == "MQL target from the revenue planner: 209 a month"
    assert saved.content["marketing"]["mql_target_per_month"] == 209
    assert saved.content["sales"] == active.content["sales"]
    assert saved.summary.startswith("Marketing delivers 209 MQLs a month")


def test_carry_into_sla_draft_starts_from_the_default_terms_without_an_active_sla(engine):
    ann = make_user(engine, "ann", Role.MARKETING)

    with write_session(engine) as session:
        draft = carry_into_sla_draft(session, actor=ann, mqls_per_month=150)

    expected = with_mql_target(default_sla_content(), 150)
    assert draft.content == expected
    assert draft.based_on_id is None and draft.number == 1


def test_a_rep_may_not_carry_a_target_into_an_sla_draft(engine):
    rep = make_user(engine, "rita", Role.REP, team="East")

    refused = pytest.raises(Forbidden, match="A rep may not draft the lead definition or the SLA")
    with refused, write_session(engine) as session:
        carry_into_sla_draft(session, actor=rep, mqls_per_month=150)

    with read_session(engine) as session:
        assert session.exec(select(AgreementVersion)).all() == []


def test_carry_into_sla_draft_refuses_a_target_below_one(engine, leader):
    with pytest.raises(InvalidInput, match="at least one"), write_session(engine) as session:
        carry_into_sla_draft(session, actor=leader, mqls_per_month=0)
