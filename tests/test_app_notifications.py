"""AppTest runs of the notification settings: the admin's page (SMTP, webhooks, outbox and
resend) and each user's own choices on Home."""

from __future__ import annotations

from sqlmodel import select

from leaddash.agreements import create_draft
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.models import User
from leaddash.notify_tables import Notification, NotifyChoice, NotifyPreference, NotifySettings
from leaddash.sla import default_sla_content
from leaddash.ui.agreements.actions import propose_version
from tests.apptest import app_as, texts

PAGE = "pages/admin_notifications.py"


def _text(at, label):
    return next(t for t in at.text_input if t.label == label)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_an_admin_saves_the_smtp_server(app_db):
    at = app_as("admin", PAGE)
    assert not at.exception, at.exception
    _text(at, "SMTP host").input("smtp.example.com")
    _text(at, "Sender address").input("leaddash@example.com")
    next(s for s in at.selectbox if s.label == "TLS").select("ssl")
    next(n for n in at.number_input if n.label == "Port").set_value(465)
    _button(at, "Save email settings").click()
    at.run()

    assert not at.exception, at.exception
    assert "Saved: email goes out through smtp.example.com:465 (ssl)." in texts(at)
    with read_session(app_db) as session:
        saved = session.exec(select(NotifySettings)).one()
    assert (saved.smtp_host, saved.smtp_port, saved.smtp_tls) == ("smtp.example.com", 465, "ssl")


def test_a_malformed_sender_is_refused_naming_the_field_and_nothing_is_saved(app_db):
    at = app_as("admin", PAGE)
    _text(at, "SMTP host").input("smtp.example.com")
    _text(at, "Sender address").input("leaddash at example.com")
    _button(at, "Save email settings").click()
    at.run()

    assert not at.exception
    assert "The sender address 'leaddash at example.com' is not an email address" in texts(at)
    with read_session(app_db) as session:
        assert session.exec(select(NotifySettings)).first() is None


def test_an_admin_adds_a_webhook_shown_by_its_host_only_and_a_bad_url_is_refused(app_db):
    at = app_as("admin", PAGE)
    _text(at, "Name").input("sales-alerts")
    _text(at, "Webhook URL").input("hooks.slack.com/services/T0/B0/secret")
    _button(at, "Add webhook").click()
    at.run()
    refused = texts(at)
    _text(at, "Name").input("sales-alerts")
    _text(at, "Webhook URL").input("https://hooks.slack.com/services/T0/B0/secret")
    _button(at, "Add webhook").click()
    at.run()

    assert not at.exception
    assert "The webhook URL must start with https://" in refused
    assert "Added the slack webhook 'sales-alerts'" in texts(at)
    shown = at.dataframe[0].value
    assert shown.to_dict("records") == [
        {"Name": "sales-alerts", "Kind": "slack", "Host": "hooks.slack.com"}
    ]


def test_the_outbox_shows_a_failure_with_its_reason_and_resend_queues_it_again(app_db):
    with write_session(app_db) as session:
        rep = session.exec(select(User).where(User.username == "rep")).one()
        session.add(
            Notification(
                event="sla_warning",
                user_id=rep.id,
                channel="email",
                target="",
                subject="Due soon",
                body="Dora",
                dedupe_key="x",
                status="failed",
                attempts=5,
                last_error="Could not reach the SMTP server smtp.example.com:587: refused",
            )
        )
    at = app_as("admin", PAGE)
    outbox = at.dataframe[-1].value
    assert outbox[["status", "last_error"]].values.tolist() == [
        ["failed", "Could not reach the SMTP server smtp.example.com:587: refused"]
    ]

    _button(at, "Resend").click()
    at.run()

    assert not at.exception
    assert "waits in the outbox again" in texts(at)
    with read_session(app_db) as session:
        row = session.exec(select(Notification)).one()
    assert (row.status, row.attempts) == ("pending", 0)


def test_a_rep_chooses_their_notifications_on_home(app_db):
    at = app_as("rep")
    assert not at.exception, at.exception
    boxes = {c.label: c for c in at.checkbox}
    boxes["A lead of mine is about to miss its SLA deadline"].uncheck()
    boxes[
        "Only within the SLA calendar's business hours (others wait for the next opening)"
    ].check()
    _button(at, "Save my notifications").click()
    at.run()

    assert not at.exception, at.exception
    assert "Saved your notification choices." in texts(at)
    with read_session(app_db) as session:
        choices = session.exec(select(NotifyChoice.event, NotifyChoice.channel)).all()
        preference = session.exec(select(NotifyPreference)).one()
    assert [tuple(c) for c in choices] == [("sla_breach", "email")]
    assert preference.business_hours_only


def test_proposing_a_version_on_its_page_tells_both_leaders_in_the_same_write(app_db):
    with read_session(app_db) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
    leader = users["sales_leader"]
    actor = Actor(id=leader.id, username=leader.username, role=leader.role, name=leader.name)
    with write_session(app_db) as session:
        draft = create_draft(
            session, actor=actor, kind="sla", title="Faster", content=default_sla_content()
        )
    with write_session(app_db) as session:
        propose_version(actor, draft.id, draft.version)(session)

    with read_session(app_db) as session:
        told = session.exec(select(Notification.user_id, Notification.event)).all()
    assert sorted(told) == sorted(
        [
            (users["marketing_leader"].id, "proposal_awaiting_signature"),
            (users["sales_leader"].id, "proposal_awaiting_signature"),
        ]
    )
