"""SLA states (docs/metrics.md, "SLA state"): warning points in business time, the state
of each milestone on hand-built leads, and the SQL expression agreeing with the Python
function on the same stored leads. The SLA's new terms (warning share, escalation) too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from leaddash.core.lead_sql import current_sla_state_sql, sla_state_sql
from leaddash.core.sla_state import (
    BREACHED,
    CANCELLED,
    DECISION,
    FIRST_TOUCH,
    MET,
    PENDING,
    WARNING,
    lead_sla_state,
)
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Lead, Stage
from leaddash.routing.promotion import deadlines_under
from leaddash.sla import (
    business_hours_between,
    default_sla_content,
    read_sla,
    summarize_sla,
    validate_sla,
    warning_point,
)

pytestmark = pytest.mark.postgresql  # the SQL's date comparisons differ by backend

SLA = default_sla_content()  # 4 business hours, 5 business days, NY 09:00–17:00, 75%
NEW_YORK = SLA["calendar"]


def local(text: str) -> datetime:
    """Return the aware UTC datetime of a New York wall-clock time."""
    return pd.Timestamp(text, tz="America/New_York").tz_convert("UTC").to_pydatetime()


# --- warning points ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mql", "warn", "why"),
    [
        ("2026-03-03 10:00", "2026-03-03 13:00", "3 of 4 h inside one day"),
        ("2026-03-03 14:00", "2026-03-03 17:00", "lands exactly at closing: stays that day"),
        ("2026-03-03 15:00", "2026-03-04 10:00", "2 h Tuesday, 1 h Wednesday"),
        ("2026-03-06 16:00", "2026-03-09 11:00", "1 h Friday, weekend skipped, 2 h Monday"),
        ("2026-03-07 12:00", "2026-03-09 12:00", "MQL on Saturday counts from Monday 09:00"),
        ("2026-12-23 16:00", "2026-12-28 11:00", "24th company holiday, 25th public holiday"),
    ],
)
def test_first_touch_warns_after_three_quarters_of_its_business_hours(mql, warn, why):
    due = deadlines_under(SLA, local(mql))

    assert due.touch_warn == local(warn), why


def test_decision_warning_is_the_share_of_business_time_to_the_last_days_close():
    mql = local("2026-03-02 09:00")  # a Monday; due at the close of the next Monday
    due = deadlines_under(SLA, mql)
    # 6 working days of 8 h from Monday's opening to the next Monday's close; 75% is 36 h:
    # four whole days (Mon–Thu) and 4 h on Friday.
    window = 6 * 8
    assert due.decision_due == local("2026-03-09 17:00")
    assert window * 0.75 == 4 * 8 + 4
    assert due.decision_warn == local("2026-03-06 13:00")


def test_a_warning_share_of_the_sla_moves_the_warning_point():
    content = default_sla_content()
    content["sales"]["warning_share"] = 0.5
    mql = local("2026-03-06 16:00")

    due = deadlines_under(content, mql)

    assert due.touch_warn == local("2026-03-09 10:00")  # 2 of 4 h: 1 on Friday, 1 on Monday
    window = business_hours_between(pd.Series([mql]), pd.Series([due.decision_due]), NEW_YORK)
    assert business_hours_between(pd.Series([mql]), pd.Series([due.decision_warn]), NEW_YORK).iloc[
        0
    ] == pytest.approx(window.iloc[0] / 2)


def test_an_sla_stored_before_warning_shares_warns_at_three_quarters():
    content = default_sla_content()
    del content["sales"]["warning_share"], content["sales"]["escalation"]

    terms = read_sla(content)

    assert (terms.sales.warning_share, terms.sales.escalation.after_breach_hours) == (0.75, [])
    assert deadlines_under(content, local("2026-03-03 10:00")).touch_warn == local(
        "2026-03-03 13:00"
    )


def test_a_missing_due_point_has_no_warning_point():
    assert warning_point(local("2026-03-03 10:00"), None, 0.75, NEW_YORK) is None
    points = warning_point(
        pd.Series([local("2026-03-03 10:00")]), pd.Series([None]), 0.75, NEW_YORK
    )
    assert points.isna().all()


# --- the SLA's terms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        ({"warning_share": 1}, "warning_share", "between 0 and 1"),
        ({"warning_share": 0}, "warning_share", "between 0 and 1"),
        ({"warning_share": "most"}, "warning_share", "between 0 and 1"),
        ({"escalation": {"after_breach_hours": [24, 4]}}, "escalation", "later than the one"),
        ({"escalation": {"after_breach_hours": [0]}}, "escalation", "more than 0"),
        ({"escalation": {"after_breach_hours": "4"}}, "escalation", "like [4, 24]"),
        ({"escalation": {"return_to_team_queue": "yes"}}, "escalation", "yes or no"),
        ({"escalation": [4, 24]}, "escalation", "ladder of business hours"),
    ],
)
def test_bad_alert_terms_are_refused_naming_the_field(terms, field, words):
    content = default_sla_content()
    content["sales"].update(terms)

    with pytest.raises(InvalidInput) as refused:
        validate_sla(content)

    assert refused.value.field == field
    assert words in refused.value.message


def test_the_summary_says_when_deadlines_warn_and_how_breaches_escalate():
    content = default_sla_content()
    content["sales"]["escalation"]["return_to_team_queue"] = True

    assert (
        "A deadline warns when 75% of its window has gone; a lead still untouched is "
        "escalated to its manager 4 and 24 business hours after the breach, then goes back "
        "to the team queue." in summarize_sla(content)
    )


# --- states on hand-built leads ---------------------------------------------------------

MQL = local("2026-03-06 16:00")  # Friday
TOUCH_WARN, TOUCH_DUE = local("2026-03-09 11:00"), local("2026-03-09 12:00")
# Decided by the close of the fifth business day after Friday; the window is 1 h on Friday
# and 5 whole days of 8 h: 41 h, of which 75% (30.75 h) ends 5.75 h into Thursday.
DECISION_WARN, DECISION_DUE = local("2026-03-12 14:45"), local("2026-03-13 17:00")
assert 0.75 * (1 + 5 * 8) == 1 + 3 * 8 + 5.75


def lead(stage: str = Stage.MQL, **times: datetime | None) -> Lead:
    """Return an unsaved lead made an MQL at MQL (Friday 16:00) under the default SLA."""
    due = deadlines_under(SLA, MQL)
    assert (due.touch_warn, due.touch_due) == (TOUCH_WARN, TOUCH_DUE)
    assert (due.decision_warn, due.decision_due) == (DECISION_WARN, DECISION_DUE)
    fields: dict = {
        "stage": stage,
        "stage_changed_at": MQL,
        "mql_at": MQL,
        "touch_due_at": due.touch_due,
        "touch_warn_at": due.touch_warn,
        "decision_due_at": due.decision_due,
        "decision_warn_at": due.decision_warn,
    }
    return Lead(first_name="Ann", **(fields | times))


MINUTE = timedelta(minutes=1)
CASES: list[tuple[str, Lead, datetime, str | None, str | None]] = [
    # name, lead, now, first-touch state, decision state
    ("over the weekend, untouched", lead(), local("2026-03-08 12:00"), PENDING, PENDING),
    ("a minute before the warning", lead(), TOUCH_WARN - MINUTE, PENDING, PENDING),
    ("at the warning point", lead(), TOUCH_WARN, WARNING, PENDING),
    ("at the due point", lead(), TOUCH_DUE, WARNING, PENDING),
    ("a minute after the due point", lead(), TOUCH_DUE + MINUTE, BREACHED, PENDING),
    ("decision warning", lead(), DECISION_WARN, BREACHED, WARNING),
    ("decision past due", lead(), DECISION_DUE + MINUTE, BREACHED, BREACHED),
    (
        "touched in time",
        lead(Stage.ACCEPTED, first_touch_at=TOUCH_DUE),
        DECISION_WARN - MINUTE,
        MET,
        PENDING,
    ),
    (
        "touched late",
        lead(Stage.ACCEPTED, first_touch_at=TOUCH_DUE + MINUTE),
        TOUCH_DUE + 2 * MINUTE,
        BREACHED,
        PENDING,
    ),
    (
        "validated in time",
        lead(Stage.VALIDATED, first_touch_at=TOUCH_WARN, decided_at=DECISION_DUE),
        DECISION_DUE + timedelta(days=9),
        MET,
        MET,
    ),
    (
        "disqualified late",
        lead(Stage.DISQUALIFIED, first_touch_at=TOUCH_WARN, decided_at=DECISION_DUE + MINUTE),
        DECISION_DUE + timedelta(days=9),
        MET,
        BREACHED,
    ),
    (
        "rejected before the touch deadline",
        lead(Stage.REJECTED, decided_at=TOUCH_WARN),
        DECISION_DUE + timedelta(days=9),
        CANCELLED,
        MET,
    ),
    (
        "rejected after the touch deadline",
        lead(Stage.REJECTED, decided_at=TOUCH_DUE + MINUTE),
        DECISION_DUE + timedelta(days=9),
        BREACHED,
        MET,
    ),
    (
        "recycled untouched in time: no decision either",
        lead(Stage.RECYCLED, decided_at=TOUCH_WARN),
        DECISION_DUE + timedelta(days=9),
        CANCELLED,
        CANCELLED,
    ),
    (
        "recycled after the decision deadline",
        lead(Stage.RECYCLED, first_touch_at=TOUCH_WARN, decided_at=DECISION_DUE + MINUTE),
        DECISION_DUE + timedelta(days=9),
        MET,
        BREACHED,
    ),
    (
        "lost without a decision time, before the deadline",
        lead(Stage.LOST, stage_changed_at=TOUCH_WARN),
        DECISION_DUE + timedelta(days=9),
        CANCELLED,
        CANCELLED,
    ),
    (
        "no warning point stored yet",
        lead(touch_warn_at=None),
        TOUCH_DUE,
        PENDING,
        PENDING,
    ),
    (
        "no SLA when it became an MQL",
        lead(touch_due_at=None, decision_due_at=None, touch_warn_at=None, decision_warn_at=None),
        DECISION_DUE + MINUTE,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "case", "now", "touch", "decision"), CASES, ids=[c[0] for c in CASES]
)
def test_the_state_of_each_milestone_on_a_hand_built_lead(name, case, now, touch, decision):
    assert lead_sla_state(case, FIRST_TOUCH, now) == touch
    assert lead_sla_state(case, DECISION, now) == decision


def test_sql_gives_the_python_state_for_every_lead_and_moment(engine):
    with write_session(engine) as session:
        for _, case, _, _, _ in CASES:
            session.add(Lead(**case.model_dump()))
    moments = sorted({c[2] for c in CASES} | {TOUCH_WARN, TOUCH_DUE, DECISION_DUE})

    with read_session(engine) as session:
        stored = session.exec(select(Lead).order_by(Lead.id)).all()
        assert len(stored) == len(CASES)
        for now in moments:
            rows = session.exec(
                select(
                    Lead.id,
                    sla_state_sql(FIRST_TOUCH, now),
                    sla_state_sql(DECISION, now),
                    current_sla_state_sql(now),
                ).order_by(Lead.id)
            ).all()
            expected = [
                (
                    s.id,
                    lead_sla_state(s, FIRST_TOUCH, now),
                    lead_sla_state(s, DECISION, now),
                    lead_sla_state(s, FIRST_TOUCH if s.first_touch_at is None else DECISION, now),
                )
                for s in stored
            ]
            assert [tuple(r) for r in rows] == expected, now


def test_states_read_back_from_the_database_match_the_unsaved_leads(engine):
    with write_session(engine) as session:
        for _, case, _, _, _ in CASES:
            session.add(Lead(**case.model_dump()))

    with read_session(engine) as session:
        stored = session.exec(select(Lead).order_by(Lead.id)).all()
        found = [
            (lead_sla_state(s, FIRST_TOUCH, c[2]), lead_sla_state(s, DECISION, c[2]))
            for s, c in zip(stored, CASES, strict=True)
        ]
    assert found == [(c[3], c[4]) for c in CASES]


def test_times_are_compared_as_moments_not_as_wall_clock_text():
    berlin = datetime(2026, 3, 9, 17, 30, tzinfo=UTC).astimezone()  # any zone: same moment
    assert lead_sla_state(lead(), FIRST_TOUCH, berlin) == BREACHED
