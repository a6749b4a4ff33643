"""One lead, one page: scope per role, the sections' contents, and the search."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leaddash.core.sla_state import BREACHED, MET, PENDING
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import Role, Stage, utcnow
from leaddash.queue.actions import disqualify_lead, log_attempt
from leaddash.queue.disputes import raise_dispute
from leaddash.queue.lead_page import lead_page
from leaddash.queue.lead_search import SEARCH_LIMIT, search_leads
from leaddash.queue.team import reassign_leads
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def office(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    people = {
        "rep": make_user(engine, "sam", Role.REP, team="East"),
        "mate": make_user(engine, "kim", Role.REP, team="East"),
        "west": make_user(engine, "wes", Role.REP, team="West"),
        "manager": make_user(engine, "meg", Role.SALES_MANAGER, team="East"),
        "leader": make_user(engine, "lee", Role.SALES_LEADER),
        "marketing": make_user(engine, "mo", Role.MARKETING),
        "marketing_leader": make_user(engine, "mia", Role.MARKETING_LEADER),
        "admin": make_user(engine, "ada", Role.ADMIN),
    }
    leads = {
        "own": make_lead(engine, people["rep"], first="Owen", company="Orbit Labs").id,
        "mate": make_lead(engine, people["mate"], first="Mads", company="Orbit Labs").id,
        "west": make_lead(engine, people["west"], first="Wanda", company="Orbit Labs").id,
    }
    return people, leads


def _open(engine, actor, lead_id):
    with read_session(engine) as session:
        return lead_page(session, actor=actor, lead_id=lead_id)


SEES = {
    # who: the leads (of own, mate, west) their page opens
    "rep": {"own"},
    "mate": {"mate"},
    "manager": {"own", "mate"},
    "leader": {"own", "mate", "west"},
    "marketing": {"own", "mate", "west"},
    "marketing_leader": {"own", "mate", "west"},
    "admin": {"own", "mate", "west"},
}


@pytest.mark.parametrize("who", list(SEES))
def test_each_role_opens_exactly_the_leads_in_its_scope(engine, office, who):
    people, leads = office
    for key, lead_id in leads.items():
        if key in SEES[who]:
            assert _open(engine, people[who], lead_id).id == lead_id
        else:
            with pytest.raises(Forbidden) as refused:
                _open(engine, people[who], lead_id)
            assert refused.value.message == (
                f"There is no lead {lead_id} that you may open. "
                "Check the number, or search for the lead by name."
            )


def test_an_unknown_lead_is_refused_in_the_same_words_as_a_forbidden_one(engine, office):
    people, leads = office
    missing = max(leads.values()) + 100
    with pytest.raises(Forbidden) as unknown:
        _open(engine, people["admin"], missing)
    with pytest.raises(Forbidden) as forbidden:
        _open(engine, people["rep"], leads["west"])
    assert unknown.value.message.replace(str(missing), "N") == forbidden.value.message.replace(
        str(leads["west"]), "N"
    )


def test_a_manager_without_a_team_opens_no_lead(engine, office):
    _, leads = office
    loner = make_user(engine, "lon", Role.SALES_MANAGER)
    with pytest.raises(Forbidden):
        _open(engine, loner, leads["own"])


def test_the_page_holds_facts_sla_timeline_assignments_disputes_and_audit(engine, office):
    people, leads = office
    rep, leader = people["rep"], people["leader"]
    lead_id = leads["own"]
    with write_session(engine) as session:
        log_attempt(
            session,
            actor=rep,
            lead_id=lead_id,
            expected_version=None,
            channel="call",
            outcome="voicemail",
            note="left a voicemail",
        )
    with write_session(engine) as session:
        reassign_leads(
            session,
            actor=leader,
            versions={lead_id: lead_now(engine, lead_id).version},
            owner_id=people["mate"].id,
        )
    with write_session(engine) as session:
        disqualify_lead(
            session,
            actor=people["mate"],
            lead_id=lead_id,
            expected_version=None,
            reason_code="no_fit",
            note="too small",
        )
    with write_session(engine) as session:
        raise_dispute(
            session,
            actor=people["marketing"],
            lead_id=lead_id,
            expected_version=None,
            note="they fit the definition",
        )

    page = _open(engine, leader, lead_id)

    stored = lead_now(engine, lead_id)
    assert page.name == "Owen Lee" and page.stage == Stage.DISQUALIFIED
    assert page.owner == people["mate"].name and page.team == "East"
    assert page.facts["Company"] == "Orbit Labs" and page.facts["Email"] == stored.email
    states = {m.milestone: m.state for m in page.sla}
    # Touched and decided before their deadlines, both set hours ahead by the factory.
    assert states == {"first_touch": MET, "decision": MET}
    kinds = [(i.kind, i.who) for i in page.timeline]
    assert ("call", rep.name) in kinds
    assert ("assignment", leader.name) in kinds
    # Created in Sam's queue, then given to Kim: newest first.
    assert [i.text for i in page.timeline if i.kind == "assignment"] == [
        f"Assigned to {people['mate'].name}",
        f"Assigned to {rep.name}",
    ]
    stage_texts = [i.text for i in page.timeline if i.kind == "stage"]
    assert stage_texts[0].endswith(
        "→ disqualified (No fit (company or role outside the definition)): too small"
    )
    assert stage_texts[-1] == "Stage inquiry → mql"
    times = [i.at for i in page.timeline]
    assert times == sorted(times, reverse=True)
    assert [(d.status, d.raised_by, d.marketing_note) for d in page.disputes] == [
        ("open", people["marketing"].name, "they fit the definition")
    ]
    actions = {a.action for a in page.audit}
    assert "lead.reassign" in actions
    reassign = next(a for a in page.audit if a.action == "lead.reassign")
    assert f"owner_id: {rep.id} → {people['mate'].id}" in reassign.changes
    assert reassign.who == leader.name


def test_sla_states_follow_the_stored_times(engine, office):
    people, _ = office
    late = make_lead(engine, people["rep"], first="Late", due_in=timedelta(hours=-2)).id
    page = _open(engine, people["rep"], late)
    states = {m.milestone: m.state for m in page.sla}
    stored = lead_now(engine, late)
    now = utcnow()
    # A plain reading of the metric: no touch, the touch deadline passed, the decision's not.
    assert stored.touch_due_at is not None and stored.decision_due_at is not None
    assert states == {"first_touch": BREACHED, "decision": PENDING}
    assert now > stored.touch_due_at.replace(tzinfo=now.tzinfo)


def _found(engine, actor, text):
    with read_session(engine) as session:
        return search_leads(session, actor=actor, text=text)["id"].tolist()


def test_search_matches_name_company_email_and_external_id_in_any_case(engine, office):
    people, leads = office
    admin = people["admin"]
    tagged = make_lead(engine, people["rep"], first="Zed", external_id="CRM-00Q7", company="Zeta")
    assert _found(engine, admin, "owen lee") == [leads["own"]]
    assert _found(engine, admin, "ORBIT") == sorted(leads.values(), reverse=True)
    assert _found(engine, admin, "wanda.lee@EXAMPLE") == [leads["west"]]
    assert _found(engine, admin, "crm-00q") == [tagged.id]
    assert _found(engine, admin, f"#{tagged.id}") == [tagged.id]
    assert _found(engine, admin, "nobody-has-this") == []


def test_search_keeps_to_the_actor_s_scope(engine, office):
    people, leads = office
    assert _found(engine, people["rep"], "orbit") == [leads["own"]]
    assert _found(engine, people["manager"], "orbit") == sorted(
        [leads["own"], leads["mate"]], reverse=True
    )
    assert _found(engine, people["rep"], f"#{leads['west']}") == []


def test_search_takes_wildcards_literally(engine, office):
    people, _ = office
    assert _found(engine, people["admin"], "%%") == []
    assert _found(engine, people["admin"], "_w") == []


def test_search_returns_at_most_the_limit_and_needs_two_characters(engine, office):
    people, _ = office
    for i in range(SEARCH_LIMIT + 3):
        make_lead(engine, people["rep"], first=f"Bulk{i}", company="Bulkco")
    assert len(_found(engine, people["rep"], "bulkco")) == SEARCH_LIMIT
    with pytest.raises(InvalidInput) as refused:
        _found(engine, people["rep"], " b ")
    assert refused.value.message.startswith("Type at least 2 characters")
