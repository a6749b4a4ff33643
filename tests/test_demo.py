"""The demo seed: deterministic, consistent with itself, and telling the intended story."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from leaddash.auth import CLI_ACTOR, authenticate
from leaddash.db import make_engine, read_session, write_session
from leaddash.demo import DEMO_PASSWORD, DEMO_USERS, STRICT_REP, is_empty, seed_demo
from leaddash.demo.leads import REJECTING_SOURCE
from leaddash.demo.plan import demo_window
from leaddash.errors import Conflict
from leaddash.users import create_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

TODAY = date(2026, 3, 18)
NOW = demo_window(TODAY, 6)[1]
DECIDED = ("validated", "disqualified", "rejected", "sql", "opportunity", "won", "lost")
VALIDATED = ("validated", "sql", "opportunity", "won", "lost")


def frame(engine: Engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Iterator[Engine]:
    """One seeded SQLite database shared by the read-only story tests (seeding is the
    slow part, so it happens once per module)."""
    path = tmp_path_factory.mktemp("demo") / "story.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    seed_demo(engine, leads=1500, months=6, today=TODAY)
    yield engine
    engine.dispose()


def _decisions(engine: Engine) -> pd.DataFrame:
    leads = frame(
        engine,
        "SELECT l.stage, l.source, u.username AS owner FROM lead l "
        "LEFT JOIN app_user u ON u.id = l.owner_id",
    )
    decided = leads[leads["stage"].isin(DECIDED)].copy()
    decided["validated"] = decided["stage"].isin(VALIDATED)
    return decided


def test_is_empty_before_and_not_after_seeding(engine):
    assert is_empty(engine)
    summary = seed_demo(engine, leads=200, months=3, today=TODAY)
    assert not is_empty(engine)
    assert "200 leads" in str(summary) and DEMO_PASSWORD in str(summary)


def test_seeding_a_database_with_data_is_refused_and_changes_nothing(engine):
    seed_demo(engine, leads=100, months=2, today=TODAY)
    with pytest.raises(Conflict, match="already holds users or leads"):
        seed_demo(engine, leads=100, months=2, today=TODAY)
    assert frame(engine, "SELECT count(*) AS n FROM lead")["n"][0] == 100


LEAD_COLUMNS = (
    "id, external_id, email, company, source, campaign, segment, created_at, "
    "stage, score, fit_ok, owner_id, mql_at, touch_due_at, decided_at, attempts, "
    "amount, definition_version_id, is_sample"
)
EVENT_COLUMNS = "lead_id, from_stage, to_stage, occurred_at, actor_id, reason_code"


def _snapshot(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        frame(engine, f"SELECT {LEAD_COLUMNS} FROM lead ORDER BY id"),
        frame(engine, f"SELECT {EVENT_COLUMNS} FROM stageevent ORDER BY id"),
    )


def _seeded(tmp_path, name: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    SQLModel.metadata.create_all(engine)
    seed_demo(engine, leads=400, months=6, seed=seed, today=TODAY)
    snapshot = _snapshot(engine)
    engine.dispose()
    return snapshot


def test_same_seed_gives_identical_data_and_another_seed_differs(sqlite_engine, tmp_path):
    # Compared with SQLite copies: the seeder's determinism, not the backend, is under test.
    seed_demo(sqlite_engine, leads=400, months=6, seed=7, today=TODAY)
    leads, events = _snapshot(sqlite_engine)
    same_leads, same_events = _seeded(tmp_path, "same.db", seed=7)
    other_leads, _ = _seeded(tmp_path, "other.db", seed=8)
    pd.testing.assert_frame_equal(leads, same_leads)
    pd.testing.assert_frame_equal(events, same_events)
    assert not leads.equals(other_leads)


def test_every_lead_stage_is_its_last_event(story):
    last = frame(
        story,
        "SELECT l.id, l.stage, e.to_stage FROM lead l JOIN stageevent e "
        "ON e.id = (SELECT max(id) FROM stageevent WHERE lead_id = l.id)",
    )
    assert len(last) == 1500
    assert (last["stage"] == last["to_stage"]).all()


def test_lead_timestamps_agree_with_history(story):
    leads = frame(
        story,
        "SELECT l.*, (SELECT count(*) FROM touch t WHERE t.lead_id = l.id) AS touches FROM lead l",
    )
    assert (leads["attempts"] == leads["touches"]).all()
    assert (leads["mql_at"].isna() == (leads["stage"] == "inquiry")).all()
    routed = leads[leads["mql_at"].notna()]
    assert routed["owner_id"].notna().all() and routed["touch_due_at"].notna().all()
    touched = leads.dropna(subset=["accepted_at", "first_touch_at"])
    accepted, first_touch = (pd.to_datetime(touched[c]) for c in ("accepted_at", "first_touch_at"))
    assert (accepted <= first_touch).all()
    unreachable = frame(
        story,
        "SELECT l.attempts FROM lead l JOIN stageevent e ON "
        "e.lead_id = l.id WHERE e.reason_code = 'unable_to_reach'",
    )
    assert (unreachable["attempts"] >= 3).all()


def test_every_demo_role_logs_in_with_the_demo_password(story):
    with read_session(story) as session:
        for username in DEMO_USERS:
            actor = authenticate(session, username, DEMO_PASSWORD)
            assert actor is not None and actor.role == username
        assert authenticate(session, "maria.lopez", DEMO_PASSWORD) is not None
    teams = frame(
        story, "SELECT u.username, t.name FROM app_user u JOIN team t ON t.id = u.team_id"
    )
    assert dict(zip(teams["username"], teams["name"], strict=True))["sales_manager"] == "East"
    assert dict(zip(teams["username"], teams["name"], strict=True))["rep"] == "East"


def test_one_active_definition_and_one_active_sla_all_co_signed(story):
    versions = frame(
        story,
        "SELECT a.kind, a.number, a.status, a.effective_to, "
        "(SELECT count(DISTINCT side) FROM signature s "
        "WHERE s.agreement_id = a.id) AS sides FROM agreementversion a",
    )
    active = versions[versions["status"] == "active"]
    assert sorted(active["kind"]) == ["definition", "sla"]
    retired = versions[versions["status"] == "retired"]
    assert sorted(retired["number"]) == [1, 2] and retired["effective_to"].notna().all()
    assert (versions["sides"] == 2).all()


def test_strict_rep_validates_far_less_than_peers(story):
    decided = _decisions(story)
    strict = decided[decided["owner"] == STRICT_REP]["validated"]
    peers = decided[decided["owner"] != STRICT_REP]["validated"]
    assert len(strict) >= 20
    assert strict.mean() < 0.45 and peers.mean() > 0.6


def test_rejecting_source_is_turned_down_far_more_than_others(story):
    decided = _decisions(story)
    turned_down = 1 - decided.groupby("source")["validated"].mean()
    others = turned_down.drop(REJECTING_SOURCE)
    assert turned_down[REJECTING_SOURCE] > others.max() + 0.2


def test_rep_login_has_open_leads_some_overdue(story):
    open_leads = frame(
        story,
        "SELECT l.stage, l.touch_due_at, l.first_touch_at FROM lead l "
        "JOIN app_user u ON u.id = l.owner_id WHERE u.username = 'rep' "
        "AND l.stage IN ('mql', 'accepted')",
    )
    due = pd.to_datetime(open_leads["touch_due_at"], utc=True)
    overdue = open_leads["first_touch_at"].isna() & (due < NOW)
    assert len(open_leads) >= 5 and overdue.any()


def test_one_audit_row_records_the_seed(story):
    audit = frame(story, "SELECT action FROM auditlog WHERE action = 'demo.seed'")
    assert len(audit) == 1


def test_small_seed_works_on_each_backend(engine):
    summary = seed_demo(engine, leads=300, months=3, today=TODAY)
    counts = frame(
        engine,
        "SELECT (SELECT count(*) FROM lead) AS leads, (SELECT count(*) FROM stageevent) AS events",
    )
    assert counts["leads"][0] == 300 and counts["events"][0] == summary.events
    with write_session(engine) as session:  # ids keep counting after the bulk insert
        create_user(
            session, actor=CLI_ACTOR, username="new.person", role="rep", password="another-password"
        )
