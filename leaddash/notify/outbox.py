"""The worker's side of the outbox: which rows are due, sending one, and recording what
happened. A failure is retried with exponential backoff (1, 2, 4, 8 … minutes); after
MAX_ATTEMPTS the row is failed with the last reason, for an admin to read and resend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from leaddash.models import table_of
from leaddash.notify.admin import stored_settings
from leaddash.notify.delivery import (
    DeliveryError,
    Outgoing,
    SmtpServer,
    full_link,
    post_webhook,
    send_email,
)
from leaddash.notify_tables import Channel, Notification, OutboxStatus, Webhook

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
BATCH = 100
NO_SMTP = (
    "Email is not set up: an admin enters the SMTP server under Admin → Notifications; "
    "the message is sent on the next try after that."
)


@dataclass(frozen=True)
class Channels:
    """Where messages go, read once per pass: the SMTP server (None: not set up), the
    webhooks by name, and the app's address for links."""

    smtp: SmtpServer | None
    webhooks: dict[str, Webhook]
    app_url: str


def read_channels(session: Session, password: str | None) -> Channels:
    """Return the delivery settings as saved, with the SMTP password from the environment."""
    saved = stored_settings(session)
    smtp = (
        SmtpServer(
            saved.smtp_host,
            saved.smtp_port,
            saved.smtp_tls,
            saved.sender,
            saved.username,
            password,
        )
        if saved.smtp_host and saved.sender
        else None
    )
    hooks = {h.name: h for h in session.exec(select(Webhook)).all()}
    return Channels(smtp, hooks, saved.app_url)


def due_rows(session: Session, now: datetime, limit: int = BATCH) -> list[Notification]:
    """Return the pending rows whose next attempt is due, oldest first."""
    return list(
        session.exec(
            select(Notification)
            .where(Notification.status == OutboxStatus.PENDING, Notification.next_attempt_at <= now)
            .order_by(col(Notification.next_attempt_at), col(Notification.id))
            .limit(limit)
        ).all()
    )


def deliver(row: Notification, channels: Channels) -> None:
    """Send one row on its channel, or raise DeliveryError with the reason."""
    message = Outgoing(row.subject, row.body, row.html, full_link(channels.app_url, row.link))
    if row.channel == Channel.EMAIL:
        if channels.smtp is None:
            raise DeliveryError(NO_SMTP)
        if not row.target:
            raise DeliveryError("The recipient has no email address: add one, then resend.")
        send_email(channels.smtp, row.target, message)
        return
    hook = channels.webhooks.get(row.target)
    if hook is None:
        raise DeliveryError(
            f"There is no webhook called {row.target!r} any more: the recipient picks "
            "another one, or an admin adds it back."
        )
    post_webhook(hook.name, hook.kind, hook.url, message)


def retry_delay(attempts: int) -> timedelta:
    """Return the wait before the next try after `attempts` failed ones."""
    return FIRST_RETRY * (2 ** max(attempts - 1, 0))


def record_sent(session: Session, row_id: int, now: datetime) -> None:
    """Mark the row sent at `now`."""
    table = table_of(Notification)
    session.connection().execute(
        update(table)
        .where(table.c.id == row_id)
        .values(
            status=OutboxStatus.SENT, attempts=table.c.attempts + 1, sent_at=now, last_error=None
        )
    )


def record_failure(session: Session, row: Notification, reason: str, now: datetime) -> str:
    """Record a failed try: pending again after the backoff, or failed after the last
    attempt; return the row's new status."""
    attempts = row.attempts + 1
    status = OutboxStatus.FAILED if attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    table = table_of(Notification)
    session.connection().execute(
        update(table)
        .where(table.c.id == row.id)
        .values(
            status=status,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=now + retry_delay(attempts),
        )
    )
    return status
