"""The outbox: who an event is written for, on which channels, when, and only once, always
in the transaction of the event itself."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.agreements import create_draft, propose, sign
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Role, Stage
from leaddash.notify import Event, notify, notify_proposal, notify_sla_alert
from leaddash.notify.admin import add_webhook
from leaddash.notify.preferences import my_notifications, save_my_notifications
from leaddash.notify_tables import Channel, NotifyChoice, OutboxStatus
from leaddash.queue.actions import reject_lead
from leaddash.queue.disputes import raise_dispute, resolve_dispute
from leaddash.sla import default_sla_content
from tests.conftest import make_user
from tests.notify_factory import activate_default_sla, outbox, person, utc
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the insert "on conflict do nothing" differs per backend

MONDAY_10_NY = utc("2026-12-07 15:00")  # 10:00 in New York, inside the default SLA's hours


@pytest.fixture
def people(engine):
    return {
        "rep": person(engine, "ana", Role.REP, team="East"),
        "manager": person(engine, "eve", Role.SALES_MANAGER, team="East"),
        "west_manager": person(engine, "wes", Role.SALES_MANAGER, team="West"),
        "marketing": person(engine, "mia", Role.MARKETING),
        "sales_leader": person(engine, "lee", Role.SALES_LEADER),
        "marketing_leader": person(engine, "mal", Role.MARKETING_LEADER),
        "admin": person(engine, "ada", Role.ADMIN),
    }


def _send(engine, **kwargs):
    values = {
        "event": Event.DISPUTE_RULED,
        "subject": "Hello",
        "text": "Body",
        "dedupe_key": "test:1",
        "now": MONDAY_10_NY,
    } | kwargs
    with write_session(engine) as session:
        return notify(session, **values)


def _rejected_lead(engine, rep):
    lead = make_lead(engine, rep, first="Dora")
    with write_session(engine) as session:
        reject_lead(
            session,
            actor=rep,
            lead_id=lead.id,
            expected_version=lead.version,
            reason_code="bad_data",
            note="Bounced",
        )
    return lead_now(engine, lead.id)


def test_a_user_without_choices_gets_an_email_to_their_address(engine, people):
    written = _send(engine, user_ids=[people["rep"].id])

    rows = outbox(engine)
    assert written == 1
    assert [(r.user_id, r.channel, r.target, r.status) for r in rows] == [
        (people["rep"].id, Channel.EMAIL, "ana@example.com", OutboxStatus.PENDING)
    ]
    assert rows[0].next_attempt_at == MONDAY_10_NY


def test_the_same_event_is_written_once_per_recipient(engine, people):
    ids = [people["rep"].id, people["manager"].id]

    first = _send(engine, user_ids=ids)
    again = _send(engine, user_ids=[*ids, people["rep"].id])

    assert (first, again) == (2, 0)
    assert len(outbox(engine)) == 2


def test_a_rolled_back_action_leaves_no_notification(engine, people):
    lead = _rejected_lead(engine, people["rep"])

    with pytest.raises(RuntimeError), write_session(engine) as session:
        raise_dispute(
            session,
            actor=people["marketing"],
            lead_id=lead.id,
            expected_version=lead.version,
            note="It fits the definition.",
        )
        assert len(session.exec(select(NotifyChoice)).all()) == 0  # the session still works
        raise RuntimeError("the request failed after the dispute was written")

    assert outbox(engine) == []


def test_a_dispute_raised_tells_the_sales_leaders_and_its_ruling_tells_who_raised_it(
    engine, people
):
    lead = _rejected_lead(engine, people["rep"])
    with write_session(engine) as session:
        dispute = raise_dispute(
            session,
            actor=people["marketing"],
            lead_id=lead.id,
            expected_version=lead.version,
            note="It fits the definition.",
        )
    raised = outbox(engine)
    with write_session(engine) as session:
        resolve_dispute(
            session,
            actor=people["sales_leader"],
            dispute_id=dispute.id,
            expected_version=dispute.version,
            overturn=True,
            note="Right, back to the queue.",
        )

    ruled = outbox(engine)[len(raised) :]
    assert [(r.event, r.user_id, r.link) for r in raised] == [
        (Event.DISPUTE_RAISED, people["sales_leader"].id, "/disputes")
    ]
    assert "It fits the definition." in raised[0].body
    assert [(r.event, r.user_id) for r in ruled] == [(Event.DISPUTE_RULED, people["marketing"].id)]
    assert ruled[0].subject == "Dispute overturned: Dora Lee"
    assert lead_now(engine, lead.id).stage == Stage.MQL


def test_a_refused_dispute_writes_nothing(engine, people):
    lead = _rejected_lead(engine, people["rep"])

    with pytest.raises(InvalidInput), write_session(engine) as session:
        raise_dispute(
            session,
            actor=people["marketing"],
            lead_id=lead.id,
            expected_version=lead.version,
            note="   ",
        )

    assert outbox(engine) == []


def test_a_proposal_tells_the_leaders_of_the_sides_yet_to_sign(engine, people):
    leader, other = people["sales_leader"], people["marketing_leader"]
    with write_session(engine) as session:
        draft = create_draft(
            session, actor=leader, kind="sla", title="Faster touch", content=default_sla_content()
        )
        version = propose(
            session, actor=leader, version_id=draft.id, expected_version=draft.version
        )
        notify_proposal(session, version=version, now=MONDAY_10_NY)
    with write_session(engine) as session:
        signed = sign(session, actor=other, version_id=version.id, expected_version=version.version)
    with write_session(engine) as session:
        again = notify_proposal(session, version=signed.version, now=MONDAY_10_NY)

    rows = outbox(engine)
    assert sorted(r.user_id for r in rows) == sorted([leader.id, other.id])
    assert {r.event for r in rows} == {Event.PROPOSAL}
    assert {r.link for r in rows} == {"/sla"}
    assert again == 0


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        ("warning", {"rep"}),
        ("breach", {"rep", "manager"}),
        ("escalation", {"manager"}),
    ],
)
def test_sla_alerts_go_to_the_owner_and_the_teams_managers_by_kind(engine, people, kind, told):
    rep = people["rep"]

    with write_session(engine) as session:
        written = notify_sla_alert(
            session,
            lead_id=7,
            milestone="first_touch",
            kind=kind,
            step=1,
            owner_id=rep.id,
            team_id=rep.team_id,
            due_at=utc("2026-12-07 14:00"),
            lead_name="Dora Lee",
            now=MONDAY_10_NY,
        )

    rows = outbox(engine)
    assert written == len(told)
    assert {r.user_id for r in rows} == {people[name].id for name in told}
    assert {r.event for r in rows} == {f"sla_{kind}"}
    by_user = {r.user_id: r.link for r in rows}
    if "manager" in told:
        assert by_user[people["manager"].id] == "/team-queue"
    if "rep" in told:
        assert by_user[rep.id] == "/my-queue"


def test_an_sla_alert_of_another_kind_is_refused(engine, people):
    with pytest.raises(ValueError, match="not 'late'"), write_session(engine) as session:
        notify_sla_alert(
            session,
            lead_id=7,
            milestone="first_touch",
            kind="late",
            step=0,
            owner_id=people["rep"].id,
            team_id=None,
            due_at=MONDAY_10_NY,
            lead_name="Dora Lee",
        )


def test_chosen_channels_replace_email_and_an_event_turned_off_writes_nothing(engine, people):
    rep, admin = people["rep"], people["admin"]
    with write_session(engine) as session:
        add_webhook(session, actor=admin, name="sales", kind="slack", url="https://h.example/x")
    with write_session(engine) as session:
        save_my_notifications(
            session,
            actor=rep,
            by_email=[Event.SLA_BREACH],
            by_webhook={Event.SLA_BREACH: "sales", Event.SLA_WARNING: "sales"},
            business_hours_only=False,
        )

    _send(engine, event=Event.SLA_BREACH, user_ids=[rep.id], dedupe_key="b")
    _send(engine, event=Event.SLA_WARNING, user_ids=[rep.id], dedupe_key="w")
    _send(engine, event=Event.DISPUTE_RULED, user_ids=[rep.id], dedupe_key="d")

    assert sorted((r.event, r.channel, r.target) for r in outbox(engine)) == [
        (Event.SLA_BREACH, Channel.EMAIL, "ana@example.com"),
        (Event.SLA_BREACH, Channel.WEBHOOK, "sales"),
        (Event.SLA_WARNING, Channel.WEBHOOK, "sales"),
    ]


def test_quiet_hours_hold_a_notification_until_the_calendars_next_opening(engine, people):
    activate_default_sla(engine)
    rep = people["rep"]
    with write_session(engine) as session:
        save_my_notifications(
            session,
            actor=rep,
            by_email=[Event.SLA_WARNING],
            by_webhook={},
            business_hours_only=True,
        )
    monday_evening = utc("2026-12-07 23:00")  # 18:00 in New York, after closing

    _send(engine, event=Event.SLA_WARNING, user_ids=[rep.id], dedupe_key="late", now=monday_evening)
    _send(engine, event=Event.SLA_WARNING, user_ids=[rep.id], dedupe_key="day", now=MONDAY_10_NY)

    held, now = outbox(engine)
    # Tuesday 09:00 in New York (UTC-5 in December) is 14:00 UTC.
    assert held.next_attempt_at == utc("2026-12-08 14:00")
    assert now.next_attempt_at == MONDAY_10_NY


def test_a_recipient_without_an_address_is_kept_as_failed_with_the_reason(engine, people):
    nobody = make_user(engine, "noemail", Role.REP, team="East")

    _send(engine, user_ids=[nobody.id])

    (row,) = outbox(engine)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("Noemail (noemail) has no email address.")


def test_inactive_users_are_not_written_for(engine, people):
    with write_session(engine) as session:
        from leaddash.models import User

        session.get_one(User, people["rep"].id).is_active = False

    assert _send(engine, user_ids=[people["rep"].id]) == 0


def test_a_user_sees_the_events_of_their_role_all_by_email_until_they_choose(engine, people):
    with read_session(engine) as session:
        mine = my_notifications(session, actor=people["manager"])

    assert mine.events == (
        Event.SLA_WARNING,
        Event.SLA_BREACH,
        Event.SLA_ESCALATION,
        Event.DAILY_DIGEST,
    )
    assert mine.by_email == set(mine.events)
    assert not mine.business_hours_only


def test_choosing_an_event_outside_ones_role_or_an_unknown_webhook_is_refused(engine, people):
    with pytest.raises(InvalidInput) as outside, write_session(engine) as session:
        save_my_notifications(
            session,
            actor=people["rep"],
            by_email=[Event.REVIEW],
            by_webhook={},
            business_hours_only=False,
        )
    with pytest.raises(InvalidInput) as unknown, write_session(engine) as session:
        save_my_notifications(
            session,
            actor=people["rep"],
            by_email=[],
            by_webhook={Event.SLA_WARNING: "nope"},
            business_hours_only=False,
        )

    assert outside.value.field == "events"
    assert unknown.value.field == "webhook"
    assert "no webhook called 'nope'" in unknown.value.message
