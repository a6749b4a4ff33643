"""SLA states in the queues: each milestone's state beside the lead, and the SLA state
filter in the services and on the My queue and Team queue pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leaddash.core.sla_state import DECISION, FIRST_TOUCH, lead_sla_state
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Lead, Stage, utcnow
from leaddash.queue.reads import rep_queue
from leaddash.queue.team import QueueFilter, team_queue
from leaddash.ui.queue import NONE_IN_STATES
from leaddash.ui.queue import STATES_KEY as MY_STATES_KEY
from leaddash.ui.team_queue import STATES_KEY as TEAM_STATES_KEY
from tests.apptest import app_as, link_names, one_user_per_role, use_database

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def add(engine, owner, first: str, *, now: datetime, warn_in: float, due_in: float, **fields):
    """Store an open lead of `owner` whose first touch warns and is due `warn_in` and
    `due_in` hours after `now` (its decision five days later)."""
    lead = Lead(
        first_name=first,
        last_name="Lee",
        company="Acme",
        stage=fields.pop("stage", Stage.MQL),
        stage_changed_at=now - 2 * HOUR,
        owner_id=owner.id,
        team_id=owner.team_id,
        mql_at=now - 2 * HOUR,
        touch_warn_at=now + warn_in * HOUR,
        touch_due_at=now + due_in * HOUR,
        decision_warn_at=now + warn_in * HOUR + timedelta(days=4),
        decision_due_at=now + due_in * HOUR + timedelta(days=5),
        **fields,
    )
    with write_session(engine) as session:
        session.add(lead)
    return lead


def world(engine, now: datetime) -> tuple[dict, list[Lead]]:
    """Return one user per role and four leads of the rep: breached, in warning, pending,
    and touched in time (first touch met, decision pending)."""
    people = one_user_per_role(engine)
    rep = people["rep"]
    leads = [
        add(engine, rep, "Late", now=now, warn_in=-5, due_in=-4),
        add(engine, rep, "Soon", now=now, warn_in=-1, due_in=1),
        add(engine, rep, "Fresh", now=now, warn_in=20, due_in=30),
        add(
            engine,
            rep,
            "Called",
            now=now,
            warn_in=-5,
            due_in=-4,
            stage=Stage.ACCEPTED,
            first_touch_at=now - 5 * HOUR,
        ),
    ]
    return people, leads


def expected_names(leads: list[Lead], states: set[str], now: datetime) -> list[str]:
    """Return, in stored order, the names of the leads with a milestone in `states`."""
    return sorted(
        f"{lead.first_name} Lee"
        for lead in leads
        if {lead_sla_state(lead, FIRST_TOUCH, now), lead_sla_state(lead, DECISION, now)} & states
    )


@pytest.mark.parametrize("states", [{"breached"}, {"warning"}, {"pending"}, {"met"}, set()])
def test_the_rep_queue_keeps_the_leads_with_a_milestone_in_the_states_picked(engine, states):
    people, leads = world(engine, NOW)

    with read_session(engine) as session:
        queue = rep_queue(session, actor=people["rep"], now=NOW, sla_states=tuple(states))

    wanted = states or {"pending", "warning", "breached", "met", "cancelled"}
    assert sorted(queue["name"]) == expected_names(leads, wanted, NOW)


def test_each_milestone_state_is_shown_beside_the_lead(engine):
    people, leads = world(engine, NOW)

    with read_session(engine) as session:
        queue = team_queue(session, actor=people["sales_manager"], now=NOW)

    shown = {r.name: (r.touch_state, r.decision_state) for r in queue.itertuples()}
    assert shown == {
        f"{lead.first_name} Lee": (
            lead_sla_state(lead, FIRST_TOUCH, NOW),
            lead_sla_state(lead, DECISION, NOW),
        )
        for lead in leads
    }


def test_the_team_queue_filters_on_sla_states(engine):
    people, leads = world(engine, NOW)
    picked = {"warning", "met"}

    with read_session(engine) as session:
        queue = team_queue(
            session,
            actor=people["sales_manager"],
            where=QueueFilter(sla_states=tuple(picked)),
            now=NOW,
        )

    assert sorted(queue["name"]) == expected_names(leads, picked, NOW)


def test_an_unknown_sla_state_is_refused_naming_the_filter(engine):
    people, _ = world(engine, NOW)

    with read_session(engine) as session, pytest.raises(InvalidInput) as refused:
        team_queue(session, actor=people["sales_manager"], where=QueueFilter(sla_states=("late",)))

    assert refused.value.field == "sla_states"
    assert refused.value.message == (
        "'late' is not an SLA state: pick among pending, warning, breached, met, cancelled."
    )


# --- the pages (the page's clock is the real one: the leads are hours from it) ----------


@pytest.fixture
def page_world(engine, monkeypatch):
    import streamlit as st

    use_database(engine, monkeypatch)
    _, leads = world(engine, utcnow())
    yield leads
    st.cache_resource.clear()


@pytest.mark.parametrize(
    ("page", "user", "key"),
    [
        ("pages/my_queue.py", "rep", MY_STATES_KEY),
        ("pages/team_queue.py", "sales_manager", TEAM_STATES_KEY),
    ],
)
def test_the_page_shows_the_states_and_filters_on_them(page_world, page, user, key):
    at = app_as(user, page)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    names = link_names(table["Lead"])  # each name links to the lead's page
    assert dict(zip(names, table["First touch SLA"], strict=True))["Soon Lee"] == "Warning"

    at = at.multiselect(key=key).set_value(["breached"]).run()

    assert not at.exception, at.exception
    shown = sorted(link_names(at.dataframe[0].value["Lead"]))
    assert shown == expected_names(page_world, {"breached"}, utcnow())


def test_my_queue_says_when_no_lead_is_in_the_states_picked(page_world):
    at = app_as("rep", "pages/my_queue.py")

    at = at.multiselect(key=MY_STATES_KEY).set_value(["cancelled"]).run()

    assert not at.exception, at.exception
    assert NONE_IN_STATES in [i.value for i in at.info]
    assert NONE_IN_STATES == (
        "None of your open leads is in the SLA states picked. Clear the SLA state filter "
        "to see them all."
    )
