"""The inbox on Home, per role, on small hand-built data: each row's count checked against
a plain count of the rows built here, and its link against the pages the role may open.

The clock is the test clock (LEADDASH_CLOCK_FILE): now is Wednesday 2026-01-14 20:00 UTC,
15:00 in New York, two business hours before the SLA calendar's closing time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leaddash.agreements import create_draft, propose, sign
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.inbox import SOURCES, inbox_items, page_counts, whatif_headline
from leaddash.inbox.items import InboxItem
from leaddash.models import (
    AgreementKind,
    AgreementVersion,
    Lead,
    Role,
    Stage,
    StageEvent,
    User,
    utcnow,
)
from leaddash.queue.actions import disqualify_lead, reject_lead
from leaddash.queue.disputes import raise_dispute
from leaddash.sla import default_sla_content
from leaddash.ui.nav import PAGES, pages_for
from leaddash.whatif import replay
from tests.conftest import make_user
from tests.pass_factory import activate, add_pass, small_sla

pytestmark = pytest.mark.postgresql  # counts in SQL: runs on PostgreSQL too

NOW = datetime(2026, 1, 14, 20, tzinfo=UTC)
DEF, SLA = AgreementKind.DEFINITION, AgreementKind.SLA


@pytest.fixture
def clock(tmp_path, monkeypatch):
    """Return a function that sets the test clock (it starts at NOW)."""
    path = tmp_path / "clock.txt"
    monkeypatch.setenv("LEADDASH_CLOCK_FILE", str(path))

    def set_to(moment: datetime) -> None:
        path.write_text(moment.isoformat(), encoding="utf-8")

    set_to(NOW)
    return set_to


@pytest.fixture
def people(engine, clock):
    return {
        "ann": make_user(engine, "ann", Role.REP, team="East"),
        "bob": make_user(engine, "bob", Role.REP, team="East"),
        "cy": make_user(engine, "cy", Role.REP, team="West"),
        "max": make_user(engine, "max", Role.SALES_MANAGER, team="East"),
        "mia": make_user(engine, "mia", Role.MARKETING_LEADER),
        "sam": make_user(engine, "sam", Role.SALES_LEADER),
        "mo": make_user(engine, "mo", Role.MARKETING),
        "root": make_user(engine, "root", Role.ADMIN),
    }


def _lead(
    engine, name, *, owner=None, team_id=None, due=None, warn=None, touched=False, stage=Stage.MQL
):
    """Create an open lead, MQL three days before the clock's now, whose next deadline is
    `due` (hours from NOW) and its warning point `warn` (hours from NOW; none when not
    given): the first touch's when untouched, else the decision's; return its id."""
    deadline = NOW + timedelta(hours=due) if due is not None else None
    warning = NOW + timedelta(hours=warn) if warn is not None else None
    lead = Lead(
        first_name=name,
        last_name="Test",
        company=f"{name} Co",
        stage=stage,
        owner_id=owner.id if owner else None,
        team_id=team_id if team_id is not None else (owner.team_id if owner else None),
        mql_at=utcnow() - timedelta(days=3),  # the test clock's now
        first_touch_at=NOW - timedelta(days=2) if touched else None,
        touch_due_at=(NOW - timedelta(days=2, hours=-2)) if touched else deadline,
        decision_due_at=deadline if touched else NOW + timedelta(days=9),
        touch_warn_at=None if touched else warning,
        decision_warn_at=warning if touched else None,
    )
    with write_session(engine) as session:
        session.add(lead)
        session.flush()
        session.add(
            StageEvent(
                lead_id=lead.id,
                from_stage=Stage.INQUIRY,
                to_stage=Stage.MQL,
                occurred_at=lead.mql_at,
            )
        )
        return lead.id


def _items(engine, actor, now=NOW) -> list[InboxItem]:
    with read_session(engine) as session:
        return inbox_items(session, actor=actor, now=now)


def _by_key(items):
    return {item.key: item for item in items}


def _set(engine, username, **fields):
    with write_session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        for name, value in fields.items():
            setattr(user, name, value)


# --- a rep ---------------------------------------------------------------------------------

REP_DEADLINES = {  # lead → hours from NOW to its next deadline, and to its warning point
    "late2h": (-2, -3),
    "late30m": (-0.5, -1),
    "warned1h": (3, -1),  # past its warning point, due in 3 h
    "warnedNow": (23, 0),  # its warning point is now
    "warnsLater": (3, 1),  # due in 3 h, warning point still ahead
    "noWarning": (2, None),  # a lead from before warning points: pending until it is due
}


def test_a_rep_sees_their_own_overdue_leads_and_those_past_their_warning_point(engine, people):
    ann = people["ann"]
    for name, (due, warn) in REP_DEADLINES.items():
        _lead(engine, name, owner=ann, due=due, warn=warn)
    _lead(engine, "touchedLate", owner=ann, due=-5, warn=-6, touched=True)  # decision overdue
    _lead(engine, "touchedWarned", owner=ann, due=5, warn=-1, touched=True)  # decision warned
    _lead(engine, "bobs", owner=people["bob"], due=-1)  # not hers
    _lead(engine, "closed", owner=ann, due=-9, stage=Stage.VALIDATED)  # not open

    items = _by_key(_items(engine, ann))

    times = [*REP_DEADLINES.values(), (-5, -6), (5, -1)]
    overdue = sum(due < 0 for due, _ in times)
    warned = sum(due >= 0 and warn is not None and warn <= 0 for due, warn in times)
    assert (items["rep-overdue"].count, items["rep-warning"].count) == (overdue, warned)
    assert items["rep-overdue"].details[0].startswith("touchedLate Test (touchedLate Co): decision")
    assert (
        items["rep-warning"].details[0].startswith("warned1h Test (warned1h Co): first touch, 3 h")
    )
    assert {item.page for item in items.values()} == {"my-queue"}
    assert page_counts(list(items.values())) == {"my-queue": overdue + warned}


def test_a_rep_sees_their_open_leads_whose_callback_time_has_come(engine, people):
    ann = people["ann"]
    callbacks = {  # lead → hours from NOW of the callback the rep set; None: no callback
        "calledFor2hAgo": -2,
        "calledForNow": 0,
        "laterToday": 1,
        "noCallback": None,
    }
    for name, hours in callbacks.items():
        lead_id = _lead(engine, name, owner=ann, due=30)
        if hours is not None:
            with write_session(engine) as session:
                session.get_one(Lead, lead_id).callback_at = NOW + timedelta(hours=hours)
    bobs = _lead(engine, "bobs", owner=people["bob"], due=30)
    closed = _lead(engine, "closed", owner=ann, due=30, stage=Stage.VALIDATED)
    with write_session(engine) as session:
        for lead_id in (bobs, closed):
            session.get_one(Lead, lead_id).callback_at = NOW - timedelta(hours=1)

    items = _by_key(_items(engine, ann))

    due = [name for name, hours in callbacks.items() if hours is not None and hours <= 0]
    assert items["rep-callbacks"].count == len(due)
    assert items["rep-callbacks"].details[0].startswith("calledFor2hAgo Test")
    assert "overdue by 2 h" in items["rep-callbacks"].details[0]
    assert items["rep-callbacks"].page == "my-queue"


def test_a_rep_with_nothing_due_has_an_empty_inbox(engine, people):
    _lead(engine, "later", owner=people["ann"], due=30)

    assert _items(engine, people["ann"]) == []


# --- a sales manager -------------------------------------------------------------------------


def test_a_manager_sees_breaches_and_leads_about_to_breach_in_their_team_only(engine, people):
    ann, cy = people["ann"], people["cy"]
    # (name, owner, hours to the next deadline, hours to its warning point, touched)
    east = [
        ("untouched", ann, -3, -4, False),
        ("undecided", ann, -1, -2, True),
        ("in1h", ann, 1, -0.5, False),  # past its warning point
        ("in1h59", ann, 1.98, -0.1, True),  # the decision's warning point has passed
        ("in3h", ann, 3, 0.5, False),  # warning point still ahead
        ("noPoint", ann, 2, None, False),  # no warning point stored: pending
        ("waiting", None, -4, -5, False),
    ]
    for name, owner, hours, warn, touched in east:
        _lead(engine, name, owner=owner, team_id=ann.team_id, due=hours, warn=warn, touched=touched)
    _lead(engine, "west", owner=cy, due=-2, warn=-3)
    _lead(engine, "westSoon", owner=cy, due=1, warn=-1)

    items = _by_key(_items(engine, people["max"]))

    breached = [row for row in east if row[2] < 0]
    soon = [row for row in east if row[2] >= 0 and row[3] is not None and row[3] <= 0]
    assert items["team-breached"].count == len(breached)
    untouched = sum(not touched for *_, touched in breached)
    assert items["team-breached"].details[0] == (
        f"{untouched} untouched past the first-touch deadline, "
        f"{len(breached) - untouched} without a decision past the decision deadline."
    )
    assert items["team-breached"].params == (("overdue", "1"),)
    assert items["team-about-to-breach"].count == len(soon)
    assert (
        items["team-about-to-breach"].details[0].startswith("in1h Test (in1h Co): 1 h 0 min left")
    )
    assert page_counts(list(items.values())) == {"team-queue": len(breached) + len(soon)}


def test_a_manager_sees_waiting_leads_only_when_no_rep_of_the_team_can_take_them(engine, people):
    waiting = [_lead(engine, f"w{i}", team_id=people["ann"].team_id, due=5) for i in range(3)]
    assert "stuck-waiting" not in " ".join(_by_key(_items(engine, people["max"])))

    _set(engine, "ann", is_away=True)
    _set(engine, "bob", daily_cap=0)
    items = _by_key(_items(engine, people["max"]))

    stuck = items[f"stuck-waiting-{people['ann'].team_id}"]
    assert (stuck.count, stuck.page) == (len(waiting), "routing")
    assert stuck.title == "Leads waiting in the East queue that no rep can take"


def test_a_manager_sees_the_open_leads_of_away_and_deactivated_reps(engine, people):
    ann, bob = people["ann"], people["bob"]
    owned = {"ann": 2, "bob": 1}
    for name, n in owned.items():
        for i in range(n):
            _lead(engine, f"{name}{i}", owner=people[name], due=30)
    _lead(engine, "annClosed", owner=ann, due=30, stage=Stage.VALIDATED)
    assert "absent-owners" not in _by_key(_items(engine, people["max"]))

    _set(engine, "ann", is_away=True)
    _set(engine, "bob", is_active=False)
    item = _by_key(_items(engine, people["max"]))["absent-owners"]

    assert item.count == sum(owned.values())
    assert item.details == (
        "Ann (away): 2 open lead(s); reassign them to an active rep or the team queue",
        "Bob (deactivated): 1 open lead(s); reassign them to an active rep or the team queue",
    )
    assert not item.badge
    assert bob.team_id == ann.team_id


def test_a_manager_without_a_team_gets_an_empty_inbox_not_an_error(engine, people):
    lonely = make_user(engine, "lon", Role.SALES_MANAGER)
    _lead(engine, "late", owner=people["ann"], due=-3)

    assert _items(engine, lonely) == []


# --- the leaders ----------------------------------------------------------------------------


def _run(engine, service, **kwargs):
    with write_session(engine) as session:
        return service(session, **kwargs)


def _proposed(engine, author, kind=DEF, title="Wider net"):
    content = default_definition_content() if kind == DEF else default_sla_content()
    if kind == DEF:
        content["threshold"] = content["threshold"] - 10
    draft = _run(engine, create_draft, actor=author, kind=kind, title=title, content=content)
    return _run(engine, propose, actor=author, version_id=draft.id, expected_version=draft.version)


def test_a_proposal_waits_in_each_leaders_inbox_until_their_side_signs(engine, people):
    mia, sam = people["mia"], people["sam"]
    activate(engine, DEF, default_definition_content())
    definition = _proposed(engine, people["mo"])
    sla = _proposed(engine, people["mo"], SLA, title="Faster touch")

    for leader in (mia, sam):
        items = _by_key(_items(engine, leader))
        on_definition = items[f"proposal-{definition.id}-{definition.version}"]
        assert on_definition.title == "Lead definition v2, “Wider net”, waits for your signature"
        assert (on_definition.page, on_definition.whatif_version) == ("definition", definition.id)
        on_sla = items[f"proposal-{sla.id}-{sla.version}"]
        assert (on_sla.page, on_sla.whatif_version) == ("sla", None)
        assert page_counts(list(items.values())) == {"definition": 1, "sla": 1}

    signed = _run(
        engine, sign, actor=mia, version_id=definition.id, expected_version=definition.version
    ).version

    assert f"proposal-{signed.id}-{signed.version}" not in _by_key(_items(engine, mia))
    still = _by_key(_items(engine, sam))[f"proposal-{signed.id}-{signed.version}"]
    assert still.details[0].endswith("; marketing signed.")
    admin_row = _by_key(_items(engine, people["root"]))[f"proposal-{signed.id}-{signed.version}"]
    assert admin_row.title.endswith("waits for the sales signature")
    assert not admin_row.badge  # an admin signs for no side


def test_the_whatif_headline_states_the_replays_mqls_and_precision(engine, people):
    activate(engine, DEF, default_definition_content())
    definition = _proposed(engine, people["mo"])
    with read_session(engine) as session:
        headline = whatif_headline(session, actor=people["sam"], version_id=definition.id, now=NOW)
        result = replay(
            session,
            actor=people["sam"],
            version_id=definition.id,
            since=(NOW - timedelta(days=90)).date(),
            until=NOW.date(),
            now=NOW,
        )
    new, old = result.outcomes["candidate"].mqls, result.outcomes["baseline"].mqls
    assert headline == (
        f"What-if on the {result.leads} leads of the last 90 days: {new} MQLs against "
        f"{old} under the active v1."
    )


def test_the_whatif_headline_says_when_no_definition_is_active(engine, people):
    definition = _proposed(engine, people["mo"])
    with read_session(engine) as session:
        headline = whatif_headline(session, actor=people["sam"], version_id=definition.id, now=NOW)
    assert headline.startswith("No lead definition is active yet")


def test_the_sales_leader_sees_the_open_disputes_to_rule(engine, people):
    ann, mo = people["ann"], people["mo"]
    decided = []
    for name in ("d1", "d2", "d3"):
        lead_id = _lead(engine, name, owner=ann, due=30)
        with write_session(engine) as session:
            version = session.get(Lead, lead_id).version
            disqualify_lead(
                session, actor=ann, lead_id=lead_id, expected_version=version, reason_code="no_fit"
            )
        decided.append(lead_id)
    for lead_id in decided[:2]:
        with write_session(engine) as session:
            lead = session.get(Lead, lead_id)
            raise_dispute(
                session, actor=mo, lead_id=lead_id, expected_version=lead.version, note="Fits."
            )

    items = _by_key(_items(engine, people["sam"]))

    assert items["disputes-to-rule"].count == 2
    assert page_counts([items["disputes-to-rule"]]) == {"disputes": 2}
    marketing = _by_key(_items(engine, mo))
    assert marketing["disputes-open"].count == 2 and not marketing["disputes-open"].badge
    assert marketing["sent-back"].count == 1  # d3: disqualified today, not disputed


def test_marketing_sees_the_leads_sent_back_in_the_last_week(engine, people, clock):
    ann = people["ann"]
    # (name, days before NOW, rejected before contact?)
    decisions = [("old", 10, True), ("week", 6, True), ("fresh", 1, False), ("today", 0, True)]
    for name, days, rejected in decisions:
        clock(NOW - timedelta(days=days))
        lead_id = _lead(engine, name, owner=ann, due=30)
        how, reason = (reject_lead, "bad_data") if rejected else (disqualify_lead, "no_fit")
        with write_session(engine) as session:
            version = session.get(Lead, lead_id).version
            how(session, actor=ann, lead_id=lead_id, expected_version=version, reason_code=reason)
    clock(NOW)

    item = _by_key(_items(engine, people["mo"]))["sent-back"]

    recent = [d for d in decisions if d[1] <= 7]
    rejected = sum(d[2] for d in recent)
    assert item.count == len(recent)
    assert item.details[0].startswith(
        f"{rejected} rejected before contact, {len(recent) - rejected} disqualified"
    )


def test_leaders_see_last_months_missed_targets(engine, people):
    """December 2025 (NOW is in January): 2 MQLs against a target of 3; one touched in
    time of 2 due (the SLA promises every one); 1 validated of 2 decided, at the 50 %
    target."""
    activate(engine, SLA, small_sla())
    ann = {"owner_id": people["ann"].id, "team_id": people["ann"].team_id}
    passes = [
        {"first_touch_at": "2025-12-02 16:00", "validated_at": "2025-12-03 15:00"},
        {
            "first_touch_at": "2025-12-04 15:00",
            "exit_stage": "disqualified",
            "exit_reason": "no_fit",
            "exit_at": "2025-12-05 15:00",
        },
    ]
    for i, fields in enumerate(passes):
        add_pass(
            engine,
            f"P{i}",
            **ann,
            segment="SMB",
            mql_at="2025-12-02 14:00",
            touch_due_at="2025-12-02 18:00",
            decision_due_at="2025-12-09 22:00",
            attempts=1,
            **fields,
        )
    target = small_sla()["marketing"]
    in_time = sum(p["first_touch_at"] <= "2025-12-02 18:00" for p in passes)
    validated = sum("validated_at" in p for p in passes)
    expected = []
    if len(passes) < target["mql_target_per_month"]:
        expected.append(f"MQL volume (marketing): {len(passes)} MQLs against a target of 3")
    if validated / len(passes) < target["validation_rate_target"]:
        expected.append(
            f"Validation rate (marketing): {validated / len(passes):.0%} "
            f"({validated} of {len(passes)}) against a target of 50%"
        )
    if in_time < len(passes):
        expected.append(
            f"First-touch compliance (sales): {in_time / len(passes):.0%} "
            f"({in_time} of {len(passes)}) against a target of 100%"
        )

    for leader in ("mia", "sam", "root"):
        item = _by_key(_items(engine, people[leader]))["targets-202512"]
        assert item.title == "SLA targets missed in December 2025"
        assert (item.count, list(item.details)) == (len(expected), expected)
        assert item.page == "sla-compliance"


def test_a_review_date_shows_a_week_ahead_and_once_past(engine, people):
    definition = activate(engine, DEF, default_definition_content())
    sla = activate(engine, SLA, default_sla_content())
    reviews = {definition: NOW.date() + timedelta(days=8), sla: NOW.date() - timedelta(days=2)}
    with write_session(engine) as session:
        for version_id, day in reviews.items():
            session.get(AgreementVersion, version_id).next_review_on = day

    items = _by_key(_items(engine, people["sam"]))
    assert f"review-{definition}" not in items
    assert items[f"review-{sla}"].title == (
        "The review of the SLA v1 was due on 2026-01-12 (2 days ago)"
    )

    with write_session(engine) as session:
        session.get(AgreementVersion, definition).next_review_on = date(2026, 1, 21)
    item = _by_key(_items(engine, people["mia"]))[f"review-{definition}"]
    assert (item.title, item.page, item.badge) == (
        "The review of the lead definition v1 is due on 2026-01-21",
        "definition",
        False,
    )


# --- every role -----------------------------------------------------------------------------


def test_every_source_is_registered_for_a_role_and_links_to_a_page_it_may_open(engine, people):
    url_paths = {spec.url_path for spec in PAGES}
    activate(engine, DEF, default_definition_content())
    _proposed(engine, people["mo"])
    _lead(engine, "late", owner=people["ann"], due=-3)
    sent_back = _lead(engine, "sentBack", owner=people["ann"], due=30)
    with write_session(engine) as session:
        version = session.get(Lead, sent_back).version
        reject_lead(
            session,
            actor=people["ann"],
            lead_id=sent_back,
            expected_version=version,
            reason_code="bad_data",
        )
    _set(engine, "ann", is_away=True)
    _lead(engine, "waiting", team_id=people["ann"].team_id, due=-3)
    _set(engine, "bob", is_away=True)
    for name in ("ann", "max", "mia", "sam", "mo", "root"):
        actor = people[name]
        items = _items(engine, actor)
        assert items, f"{name} should have something waiting"
        allowed = {spec.url_path for spec in pages_for(actor.role)}
        assert {item.page for item in items} <= allowed & url_paths
    assert set(SOURCES) == {role.value for role in Role}


def test_page_counts_sum_only_the_items_that_count_towards_a_page():
    items = [
        InboxItem("a", "A", 3, "team-queue"),
        InboxItem("b", "B", 2, "team-queue"),
        InboxItem("c", "C", 7, "team-queue", badge=False),
        InboxItem("d", "D", 1, "routing"),
    ]
    assert page_counts(items) == {"team-queue": 5, "routing": 1}


def test_a_missed_rate_that_rounds_to_its_target_shows_a_decimal(engine, people):
    """2 validated of 3 decided is 66.7 %: "67 % against a target of 67 %" would not read
    as a miss."""
    activate(engine, SLA, small_sla(validation_rate_target=0.67, mql_target_per_month=3))
    ann = {"owner_id": people["ann"].id, "team_id": people["ann"].team_id}
    outcomes = [
        {"validated_at": "2025-12-03 15:00"},
        {"validated_at": "2025-12-03 16:00"},
        {"exit_stage": "disqualified", "exit_reason": "no_fit", "exit_at": "2025-12-03 17:00"},
    ]
    for i, outcome in enumerate(outcomes):
        add_pass(
            engine,
            f"P{i}",
            **ann,
            segment="SMB",
            mql_at="2025-12-02 14:00",
            touch_due_at="2025-12-02 18:00",
            first_touch_at="2025-12-02 15:00",
            decision_due_at="2025-12-09 22:00",
            attempts=1,
            **outcome,
        )
    validated = sum("validated_at" in o for o in outcomes)

    item = _by_key(_items(engine, people["sam"]))["targets-202512"]

    assert list(item.details) == [
        (
            f"Validation rate (marketing): {validated / len(outcomes):.1%} "
            f"({validated} of {len(outcomes)}) against a target of 67%"
        )
    ]


def test_a_dispute_line_names_the_lead_the_decision_and_how_long_it_waits(engine, people, clock):
    ann, mo = people["ann"], people["mo"]
    clock(NOW - timedelta(days=4))  # decided four days before NOW
    lead_id = _lead(engine, "Dora", owner=ann, due=30)
    with write_session(engine) as session:
        version = session.get(Lead, lead_id).version
        disqualify_lead(
            session, actor=ann, lead_id=lead_id, expected_version=version, reason_code="no_need"
        )
    clock(NOW - timedelta(days=3))  # disputed three days before NOW
    with write_session(engine) as session:
        lead = session.get(Lead, lead_id)
        raise_dispute(
            session, actor=mo, lead_id=lead_id, expected_version=lead.version, note="Fits."
        )
    clock(NOW)

    item = _by_key(_items(engine, people["sam"]))["disputes-to-rule"]

    assert item.details == (
        "Dora Test: disqualified as “No need or no project”, disputed by Mo 3 days ago",
    )
