"""What-if replay on a small hand-built history whose answers are worked out below.

Scoring in both versions: form_fill 20 points (no cap), web_visit 5 (cap 10), no decay.
Baseline v1 (active): 50+ employees, no gmail, threshold 60.
Candidate v2 (draft): also country US or CA, threshold 40.

lead  created  score  fit          cand base  history                         month
L1    Jan      60     ok           yes  yes   mql, validated, sql, opp, won   Jan
L2    Jan      50     ok           yes  no    mql, validated                  Jan
L3    Jan      40     ok (a 3rd form after its MQL time does not count)
                                   yes  no    mql, disqualified               Jan
L4    Jan      80     DE: not US   no   yes   mql, rejected                   Jan
L5    Jan      20     ok           no   no    mql (sample), validated         Jan
L6    Feb      60     10 employees no   no    inquiry only                    Feb
L7    Feb      60     gmail        no   no    mql, disqualified               Feb
L8    Feb      0      ok (3 forms 40 days after creation, past the 30-day window)
                                   no   no    inquiry only                    Feb
L9    Feb      60     ok           yes  yes   mql, accepted (open)            Feb
L10   Feb      40     ok           yes  no    mql, validated, sql, opp, won   Feb
L11   Dec 2025 60     ok           yes  yes   mql, validated  (before the window)
L12   Mar      60     ok           yes  yes   mql             (after the window)

In the window (Jan–Feb): decided = L1 L2 L3 L4 L5 L7 L10, validated = L1 L2 L5 L10,
won = L1 L10.
Candidate MQLs L1 L2 L3 L9 L10: decided 4 (L1 L2 L3 L10), validated 3 → precision 3/4;
recall 3/4 (misses L5); won caught 2, missed 0.
Baseline MQLs L1 L4 L9: decided 2 (L1 L4), validated 1 → precision 1/2; recall 1/4;
won caught 1 (L1), missed 1 (L10).
Overlap: both L1 L9, only candidate L2 L3 L10, only baseline L4, neither L5 L6 L7 L8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput, NotFound
from leaddash.models import Activity, AgreementVersion, Lead, Role, StageEvent
from leaddash.whatif import Outcome, Overlap, definition_by_number, replay
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SCORING = {
    "activities": {"form_fill": {"points": 20, "cap": None}, "web_visit": {"points": 5, "cap": 10}},
    "half_life_days": None,
}
BASELINE = {
    "fit_rules": [{"id": "F1", "field": "employees", "op": "gte", "value": 50}],
    "disqualifiers": [{"id": "D1", "field": "email", "op": "contains", "value": "@gmail."}],
    "scoring": SCORING,
    "threshold": 60,
    "reasons": [{"code": "no_fit", "clause": "F1"}],
}
CANDIDATE = {
    **BASELINE,
    "threshold": 40,
    "fit_rules": [
        *BASELINE["fit_rules"],
        {"id": "F2", "field": "country", "op": "in", "value": ["US", "CA"]},
    ],
}
WON_PATH = ("validated", "sql", "opportunity", "won")


@dataclass(frozen=True)
class Plan:
    """One lead of the history: when it arrived, who it is, what it did, what sales did."""

    name: str
    created: datetime
    forms: int = 0
    visits: int = 0
    later_forms: int = 0  # a day after the MQL time, or 40 days after creation
    stages: tuple[str, ...] = ()
    employees: int = 200
    country: str = "US"
    email: str = "x@acme.com"


def day(month: int, dom: int, year: int = 2026) -> datetime:
    return datetime(year, month, dom, 9, tzinfo=UTC)


PLANS = (
    Plan("L1", day(1, 5), forms=3, stages=("mql", *WON_PATH)),
    Plan("L2", day(1, 6), forms=2, visits=2, stages=("mql", "validated")),
    Plan("L3", day(1, 7), forms=2, later_forms=1, stages=("mql", "disqualified")),
    Plan("L4", day(1, 8), forms=4, country="DE", stages=("mql", "rejected")),
    Plan("L5", day(1, 9), forms=1, stages=("mql", "validated")),
    Plan("L6", day(2, 2), forms=3, employees=10),
    Plan("L7", day(2, 3), forms=3, email="y@gmail.com", stages=("mql", "disqualified")),
    Plan("L8", day(2, 4), later_forms=3),
    Plan("L9", day(2, 5), forms=3, stages=("mql", "accepted")),
    Plan("L10", day(2, 6), forms=2, stages=("mql", *WON_PATH)),
    Plan("L11", day(12, 20, 2025), forms=3, stages=("mql", "validated")),
    Plan("L12", day(3, 2), forms=3, stages=("mql",)),
)


def _activities(plan: Plan, lead_id: int, mql_at: datetime | None) -> list[Activity]:
    early = [("form_fill", plan.created + timedelta(hours=1 + i)) for i in range(plan.forms)]
    early += [("web_visit", plan.created + timedelta(hours=6 + i)) for i in range(plan.visits)]
    late_at = mql_at + timedelta(days=1) if mql_at else plan.created + timedelta(days=40)
    late = [("form_fill", late_at + timedelta(hours=i)) for i in range(plan.later_forms)]
    return [Activity(lead_id=lead_id, type=kind, occurred_at=at) for kind, at in early + late]


def _events(plan: Plan, lead_id: int, version_id: int) -> list[StageEvent]:
    steps = [("inquiry", plan.created)]
    steps += [(stage, plan.created + timedelta(days=1 + i)) for i, stage in enumerate(plan.stages)]
    return [
        StageEvent(
            lead_id=lead_id,
            from_stage=before[0] if before else None,
            to_stage=stage,
            occurred_at=at,
            definition_version_id=version_id,
        )
        for before, (stage, at) in zip([None, *steps], steps, strict=False)
    ]


def _lead(session: Any, plan: Plan, version_id: int) -> None:
    mql_at = plan.created + timedelta(days=1) if plan.stages else None
    lead = Lead(
        external_id=plan.name,
        email=plan.email,
        country=plan.country,
        employees=plan.employees,
        industry="Software",
        created_at=plan.created,
        stage=(plan.stages or ("inquiry",))[-1],
        mql_at=mql_at,
        definition_version_id=version_id,
    )
    session.add(lead)
    session.flush()
    session.add_all(_activities(plan, lead.id, mql_at) + _events(plan, lead.id, version_id))


def build_history(engine: Engine) -> dict[str, int]:
    """Write v1 (active), v2 (draft), an SLA v1 and the twelve leads; return version ids."""
    with write_session(engine) as session:
        active = AgreementVersion(
            kind="definition",
            number=1,
            title="Baseline",
            status="active",
            content=BASELINE,
            effective_from=day(1, 1, 2025),
        )
        draft = AgreementVersion(kind="definition", number=2, title="Candidate", content=CANDIDATE)
        sla = AgreementVersion(kind="sla", number=1, title="SLA", status="active", content={})
        session.add_all([active, draft, sla])
        session.flush()
        for plan in PLANS:
            _lead(session, plan, active.id)
        return {"active": active.id, "draft": draft.id, "sla": sla.id}


@pytest.fixture
def history(engine) -> dict[str, int]:
    return build_history(engine)


def run_replay(engine: Engine, version_id: int, **kwargs: Any):
    kwargs.setdefault("actor", CLI_ACTOR)
    kwargs.setdefault("now", NOW)
    with read_session(engine) as session:
        return replay(session, version_id=version_id, **kwargs)


JAN_FEB = {"since": date(2026, 1, 1), "until": date(2026, 2, 28)}


def test_precision_recall_and_won_leads_match_the_hand_count(engine, history):
    result = run_replay(engine, history["draft"], **JAN_FEB)
    assert result.leads == 10
    assert result.outcomes["candidate"] == Outcome(
        mqls=5, decided=4, validated=3, validated_total=4, won_caught=2, won_missed=0
    )
    assert result.outcomes["baseline"] == Outcome(
        mqls=3, decided=2, validated=1, validated_total=4, won_caught=1, won_missed=1
    )
    assert result.precision == {"candidate": 0.75, "baseline": 0.5}
    assert result.recall == {"candidate": 0.75, "baseline": 0.25}
    assert result.won_caught == {"candidate": 2, "baseline": 1}
    assert result.won_missed == {"candidate": 0, "baseline": 1}


def test_overlap_counts_both_either_and_neither(engine, history):
    result = run_replay(engine, history["draft"], **JAN_FEB)
    assert result.overlap == Overlap(both=2, only_candidate=3, only_baseline=1, neither=4)


def test_mqls_per_month_count_leads_by_creation_month(engine, history):
    result = run_replay(engine, history["draft"], **JAN_FEB)
    assert result.mqls.to_dict("records") == [
        {"month": "2026-01", "leads": 5, "candidate": 3, "baseline": 2, "actual": 5},
        {"month": "2026-02", "leads": 5, "candidate": 2, "baseline": 1, "actual": 3},
    ]


def test_validation_rate_by_score_band_of_the_candidate(engine, history):
    bands = run_replay(engine, history["draft"], **JAN_FEB).to_dict()["by_score_band"]
    assert [
        (b["band"], b["leads"], b["mqls"], b["decided"], b["validated"], b["validation_rate"])
        for b in bands
    ] == [
        ("0-20", 1, 0, 0, 0, None),  # L8
        ("20-40", 1, 0, 1, 1, 1.0),  # L5
        ("40-60", 3, 3, 3, 2, 0.6667),  # L2 L3 L10
        ("60-80", 4, 2, 2, 1, 0.5),  # L1 L6 L7 L9
        ("80-100", 1, 0, 1, 0, 0.0),  # L4
    ]


def test_window_bounds_are_inclusive_days_and_optional(engine, history):
    assert run_replay(engine, history["draft"]).leads == 12
    assert run_replay(engine, history["draft"], since=date(2026, 2, 6)).leads == 2  # L10, L12
    assert run_replay(engine, history["draft"], until=date(2026, 1, 5)).leads == 2  # L11, L1


def test_against_defaults_to_the_active_version_and_may_be_any_version(engine, history):
    default = run_replay(engine, history["draft"], **JAN_FEB)
    assert (default.candidate.number, default.baseline.number) == (2, 1)
    assert default.baseline.status == "active"
    mirrored = run_replay(engine, history["active"], against_id=history["draft"], **JAN_FEB)
    assert mirrored.precision == {"candidate": 0.5, "baseline": 0.75}
    assert mirrored.overlap == Overlap(both=2, only_candidate=1, only_baseline=3, neither=4)


def test_to_dict_has_the_documented_keys_and_plain_values(engine, history):
    data = run_replay(engine, history["draft"], **JAN_FEB).to_dict()
    assert {
        "mqls",
        "overlap",
        "precision",
        "recall",
        "by_score_band",
        "won_caught",
        "won_missed",
        "candidate",
        "baseline",
        "window",
        "outcomes",
    } <= set(data)
    assert data["window"] == {
        "since": "2026-01-01",
        "until": "2026-02-28",
        "qualify_window_days": 30,
        "leads": 10,
    }
    assert data["overlap"] == {"both": 2, "only_candidate": 3, "only_baseline": 1, "neither": 4}
    assert data["candidate"]["threshold"] == 40.0


def test_to_csv_is_one_long_table(engine, history):
    rows = list(csv.reader(io.StringIO(run_replay(engine, history["draft"], **JAN_FEB).to_csv())))
    assert rows[0] == ["section", "key", "measure", "value"]
    assert ["precision", "", "candidate", "0.75"] in rows
    assert ["mqls", "2026-02", "baseline", "1"] in rows
    assert ["by_score_band", "40-60", "validation_rate", "0.6667"] in rows
    assert ["overlap", "", "only_baseline", "1"] in rows


def test_empty_window_gives_zero_counts_and_no_rates(engine, history):
    result = run_replay(engine, history["draft"], since=date(2030, 1, 1))
    assert result.leads == 0 and result.mqls.empty
    assert result.precision == {"candidate": None, "baseline": None}
    assert result.to_dict()["by_score_band"] == []


def test_refuses_unknown_and_non_definition_versions_and_bad_windows(engine, history):
    with pytest.raises(NotFound, match="no agreement version with id 999"):
        run_replay(engine, 999)
    with pytest.raises(InvalidInput, match="SLA v1 is not a lead definition"):
        run_replay(engine, history["sla"])
    with pytest.raises(InvalidInput, match=r"starts .2026-03-01. after it ends"):
        run_replay(engine, history["draft"], since=date(2026, 3, 1), until=date(2026, 2, 1))


def test_without_an_active_version_a_baseline_must_be_named(engine):
    with write_session(engine) as session:
        draft = AgreementVersion(kind="definition", number=1, title="Draft", content=CANDIDATE)
        session.add(draft)
    with pytest.raises(InvalidInput, match="No lead definition is active yet"):
        run_replay(engine, draft.id)


def test_a_rep_may_not_replay_but_a_sales_manager_may(engine, history):
    rep = make_user(engine, "rita", Role.REP, team="East")
    manager = make_user(engine, "mo", Role.SALES_MANAGER, team="East")
    assert run_replay(engine, history["draft"], actor=manager, **JAN_FEB).leads == 10
    with pytest.raises(Forbidden, match="A rep may not run a what-if replay"):
        run_replay(engine, history["draft"], actor=rep)


def test_definition_by_number_finds_definitions_only(engine, history):
    with read_session(engine) as session:
        assert definition_by_number(session, actor=CLI_ACTOR, number=2).id == history["draft"]
        with pytest.raises(NotFound, match=r"There is no lead definition v7."):
            definition_by_number(session, actor=CLI_ACTOR, number=7)
