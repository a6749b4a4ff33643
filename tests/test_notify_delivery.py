"""Delivery against real local servers: an SMTP server receives the emails, an HTTP server
the webhook posts; a failing server makes the worker retry with backoff, then record the
failure with its reason; an admin's resend sends it again. Time is the `now` handed to each
pass: nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import AuditLog, Role
from leaddash.notify import Event, notify
from leaddash.notify.admin import add_webhook, list_outbox, resend, save_smtp_settings
from leaddash.notify.outbox import MAX_ATTEMPTS
from leaddash.notify.preferences import save_my_notifications
from leaddash.notify_tables import OutboxStatus, TlsMode
from leaddash.worker import run_pass
from tests.notify_factory import outbox, person, utc
from tests.notify_servers import smtp_server, webhook_server
from tests.served import free_port

NOW = utc("2026-12-07 15:00")


@pytest.fixture
def admin(engine):
    return person(engine, "ada", Role.ADMIN)


@pytest.fixture
def rep(engine):
    return person(engine, "ana", Role.REP, team="East")


def _smtp(engine, admin, port, tls=TlsMode.NONE, app_url="https://leaddash.example.com"):
    with write_session(engine) as session:
        save_smtp_settings(
            session,
            actor=admin,
            host="127.0.0.1",
            port=port,
            tls=tls,
            sender="leaddash@example.com",
            app_url=app_url,
        )


def _enqueue(engine, user, *, html=None, key="k1"):
    with write_session(engine) as session:
        notify(
            session,
            event=Event.SLA_WARNING,
            user_ids=[user.id],
            subject="SLA warning: Dora Lee",
            text="Dora Lee's first touch is due at 16:00.",
            link="/my-queue",
            html=html,
            dedupe_key=key,
            now=NOW,
        )


def _pass(engine, now=NOW, holder="worker-a"):
    return run_pass(engine, holder=holder, now=now, jobs=[], password=None)


def _to_webhook(engine, admin, user, url, kind="slack"):
    with write_session(engine) as session:
        add_webhook(session, actor=admin, name="sales-alerts", kind=kind, url=url)
    with write_session(engine) as session:
        save_my_notifications(
            session,
            actor=user,
            by_email=[],
            by_webhook={Event.SLA_WARNING: "sales-alerts"},
            business_hours_only=False,
        )


def test_an_email_reaches_the_smtp_server_with_its_subject_recipient_and_body(engine, admin, rep):
    with smtp_server() as inbox:
        _smtp(engine, admin, inbox.port)
        _enqueue(engine, rep, html="<p>Dora Lee is <b>due</b></p>")

        report = _pass(engine)

    assert (report.leader, report.sent, report.failed) == (True, 1, 0)
    ((recipients, message),) = inbox.received
    assert recipients == ["ana@example.com"]
    assert message["Subject"] == "SLA warning: Dora Lee"
    assert message["From"] == "leaddash@example.com"
    assert message["To"] == "ana@example.com"
    plain = message.get_body(("plain",)).get_content()
    assert "Dora Lee's first touch is due at 16:00." in plain
    assert "Open LeadDash: https://leaddash.example.com/my-queue" in plain
    assert "<b>due</b>" in message.get_body(("html",)).get_content()
    (row,) = outbox(engine)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 1, NOW)


def test_a_pass_sends_nothing_twice(engine, admin, rep):
    with smtp_server() as inbox:
        _smtp(engine, admin, inbox.port)
        _enqueue(engine, rep)

        first, second = _pass(engine), _pass(engine, NOW + timedelta(minutes=1))

    assert (first.sent, second.sent, len(inbox.received)) == (1, 0, 1)


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_webhook_receives_the_json_its_chat_tool_reads(engine, admin, rep, kind):
    with webhook_server() as hook:
        _smtp(engine, admin, free_port())
        _to_webhook(engine, admin, rep, hook.url, kind=kind)
        _enqueue(engine, rep)

        report = _pass(engine)

    assert report.sent == 1
    ((path, posted),) = hook.posts
    assert path == "/hooks/T000/B000"
    link = "https://leaddash.example.com/my-queue"
    if kind == "slack":
        assert posted == {
            "text": "*SLA warning: Dora Lee*\nDora Lee's first touch is due at 16:00."
            f"\n<{link}|Open LeadDash>"
        }
    else:
        assert posted["@type"] == "MessageCard"
        assert posted["title"] == "SLA warning: Dora Lee"
        assert posted["text"] == "Dora Lee's first touch is due at 16:00."
        assert posted["potentialAction"][0]["targets"] == [{"os": "default", "uri": link}]


def test_a_failing_webhook_is_retried_with_backoff_then_failed_with_the_reason(engine, admin, rep):
    with webhook_server() as hook:
        hook.status = 500
        _to_webhook(engine, admin, rep, hook.url)
        _enqueue(engine, rep)
        tries, at, wait = [], NOW, timedelta(minutes=1)
        for _ in range(MAX_ATTEMPTS):
            early = _pass(engine, at - timedelta(seconds=1))  # not due yet: nothing sent
            tries.append((early.retrying + early.failed, _pass(engine, at)))
            at, wait = at + wait, wait * 2

    assert len(hook.posts) == MAX_ATTEMPTS
    assert [early for early, _ in tries] == [0] * MAX_ATTEMPTS
    assert [r.retrying for _, r in tries] == [1] * (MAX_ATTEMPTS - 1) + [0]
    assert tries[-1][1].failed == 1
    (row,) = outbox(engine)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    assert row.last_error.startswith("The webhook 'sales-alerts' answered HTTP 500")
    assert "boom: the channel is archived" in row.last_error


def test_an_admin_resends_a_failed_notification_and_the_next_pass_sends_it(engine, admin, rep):
    with webhook_server() as hook:
        hook.status = 503
        _to_webhook(engine, admin, rep, hook.url)
        _enqueue(engine, rep)
        at, wait = NOW, timedelta(minutes=1)
        for _ in range(MAX_ATTEMPTS):
            _pass(engine, at)
            at, wait = at + wait, wait * 2
        hook.status = 200
        (failed,) = outbox(engine)
        with write_session(engine) as session:
            resend(session, actor=admin, notification_id=failed.id, now=at)

        report = _pass(engine, at)

    assert failed.status == OutboxStatus.FAILED
    assert report.sent == 1
    assert outbox(engine)[0].status == OutboxStatus.SENT


def test_an_unreachable_smtp_server_is_recorded_and_retried_and_the_action_stands(
    engine, admin, rep
):
    port = free_port()  # nothing listens there
    _smtp(engine, admin, port)
    _enqueue(engine, rep)

    report = _pass(engine)

    (row,) = outbox(engine)
    assert report.retrying == 1
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert row.last_error.startswith(f"Could not reach the SMTP server 127.0.0.1:{port}:")


@pytest.mark.parametrize(
    ("tls", "reason"),
    [
        (TlsMode.STARTTLS, "refused the message: STARTTLS extension not supported"),
        (TlsMode.SSL, "The TLS handshake with the SMTP server 127.0.0.1:"),
    ],
)
def test_a_tls_mode_the_server_does_not_speak_is_recorded_with_the_reason(
    engine, admin, rep, tls, reason
):
    with smtp_server() as inbox:
        _smtp(engine, admin, inbox.port, tls=tls)
        _enqueue(engine, rep)

        _pass(engine)

    (row,) = outbox(engine)
    assert inbox.received == []
    assert row.status == OutboxStatus.PENDING
    assert reason in row.last_error


def test_email_not_set_up_keeps_the_message_pending_with_what_to_do(engine, rep):
    _enqueue(engine, rep)

    _pass(engine)

    (row,) = outbox(engine)
    assert row.status == OutboxStatus.PENDING
    assert row.last_error.startswith("Email is not set up: an admin enters the SMTP server")


def test_the_admin_outbox_lists_each_row_with_its_status_and_reason(engine, admin, rep):
    _enqueue(engine, rep)
    _pass(engine)
    with write_session(engine) as session:
        listed = list_outbox(session, actor=admin)

    assert listed[["recipient", "channel", "status", "attempts"]].values.tolist() == [
        ["Ana", "email", "pending", 1]
    ]
    assert listed["last_error"].iloc[0].startswith("Email is not set up")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender", "leaddash.example.com"),
        ("sender", "lead dash@example.com"),
        ("smtp_host", "https://smtp.example.com"),
        ("smtp_port", "70000"),
        ("smtp_tls", "tls1.3"),
        ("app_url", "leaddash.example.com"),
    ],
)
def test_a_malformed_smtp_setting_is_refused_naming_the_field(engine, admin, field, value):
    settings = {
        "host": "smtp.example.com",
        "port": 587,
        "tls": "starttls",
        "sender": "leaddash@example.com",
        "app_url": "",
    }
    key = {"smtp_host": "host", "smtp_port": "port", "smtp_tls": "tls"}.get(field, field)

    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        save_smtp_settings(session, actor=admin, **(settings | {key: value}))

    assert refused.value.field == field


@pytest.mark.parametrize(
    "url",
    ["hooks.slack.com/services/x", "ftp://hooks.example.com/x", "https://", "https:///path"],
)
def test_a_malformed_webhook_url_is_refused_naming_the_field(engine, admin, url):
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        add_webhook(session, actor=admin, name="sales", kind="slack", url=url)

    assert refused.value.field == "url"
    assert "must start with https://" in refused.value.message


def test_a_webhooks_url_never_reaches_the_audit_trail(engine, admin):
    secret = "https://hooks.slack.com/services/T0/B0/s3cret"
    with write_session(engine) as session:
        add_webhook(session, actor=admin, name="sales", kind="slack", url=secret)

    with read_session(engine) as session:
        (row,) = session.exec(select(AuditLog).where(AuditLog.entity == "webhook")).all()
    assert (row.action, row.after["url"], row.after["name"]) == (
        "notify.webhook.add",
        "***",
        "sales",
    )
