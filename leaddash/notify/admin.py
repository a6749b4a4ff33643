"""What an admin sets up for notifications: the SMTP server and the chat webhooks, the
outbox with each row's status and failure reason, and resending a failed row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.errors import Conflict, InvalidInput, NotFound
from leaddash.models import User, utcnow
from leaddash.notify.checks import check_email, check_host, check_url
from leaddash.notify_tables import (
    Channel,
    Notification,
    NotifySettings,
    OutboxStatus,
    TlsMode,
    Webhook,
    WebhookKind,
)

MANAGE = "manage_notifications"
SETTINGS_ID = 1
MAX_WEBHOOK_NAME = 80
OUTBOX_COLUMNS = [
    "id",
    "created_at",
    "event",
    "recipient",
    "channel",
    "target",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
]


@dataclass(frozen=True)
class WebhookRow:
    """A webhook as the admin page lists it: the URL shown by its host only (the rest of a
    chat webhook's URL is its secret)."""

    name: str
    kind: str
    host: str


@dataclass(frozen=True)
class DeliverySettings:
    """The SMTP server as saved (empty host: email is not set up), and the webhooks."""

    smtp_host: str
    smtp_port: int
    smtp_tls: str
    sender: str
    username: str | None
    app_url: str
    webhooks: tuple[WebhookRow, ...]


def stored_settings(session: Session) -> NotifySettings:
    """Return the saved SMTP settings (unsaved: the defaults, with no host)."""
    return session.get(NotifySettings, SETTINGS_ID) or NotifySettings(id=SETTINGS_ID)


def delivery_settings(session: Session, *, actor: Actor) -> DeliverySettings:
    """Return the SMTP settings and the webhooks, for the admin's form."""
    authorize(session, actor, MANAGE, "see the notification settings")
    saved = stored_settings(session)
    hooks = session.exec(select(Webhook).order_by(col(Webhook.name))).all()
    return DeliverySettings(
        smtp_host=saved.smtp_host,
        smtp_port=saved.smtp_port,
        smtp_tls=saved.smtp_tls,
        sender=saved.sender,
        username=saved.username,
        app_url=saved.app_url,
        webhooks=tuple(WebhookRow(h.name, h.kind, urlsplit(h.url).hostname or "") for h in hooks),
    )


def _port(port: int | str) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        value = 0
    if not 0 < value < 65536:
        raise InvalidInput(
            f"The SMTP port must be a number from 1 to 65535 (usually 587 for STARTTLS, "
            f"465 for SSL, 25 for none), not {port!r}.",
            field="smtp_port",
        )
    return value


def _tls(mode: str) -> str:
    if mode not in set(TlsMode):
        raise InvalidInput(
            f"Choose the TLS mode among {', '.join(TlsMode)}, not {mode!r}.", field="smtp_tls"
        )
    return mode


def save_smtp_settings(
    session: Session,
    *,
    actor: Actor,
    host: str,
    port: int | str,
    tls: str,
    sender: str,
    username: str | None = None,
    app_url: str | None = None,
) -> NotifySettings:
    """Return the SMTP settings saved after checking each field (a refusal names it)."""
    authorize(session, actor, MANAGE, "change the notification settings")
    saved = stored_settings(session)
    saved.smtp_host = check_host(host, field="smtp_host")
    saved.smtp_port = _port(port)
    saved.smtp_tls = _tls(tls)
    saved.sender = check_email(sender, field="sender", what="The sender address")
    saved.username = (username or "").strip() or None
    link_base = (app_url or "").strip()
    saved.app_url = (
        check_url(link_base, field="app_url", what="The app's address") if link_base else ""
    )
    saved.updated_at, saved.updated_by_id = utcnow(), actor.id
    act_as(session, actor, "notify.settings")
    session.add(saved)
    session.flush()
    return saved


def add_webhook(session: Session, *, actor: Actor, name: str, kind: str, url: str) -> Webhook:
    """Return the new webhook, after checking its name, kind (slack or teams) and URL."""
    authorize(session, actor, MANAGE, "add webhooks")
    name = (name or "").strip()
    if not name or len(name) > MAX_WEBHOOK_NAME or "|" in name:
        raise InvalidInput(
            f"Name the webhook in 1 to {MAX_WEBHOOK_NAME} characters, without '|' (say "
            "'sales-alerts'): people pick it by this name.",
            field="name",
        )
    if kind not in set(WebhookKind):
        raise InvalidInput(f"A webhook is {' or '.join(WebhookKind)}, not {kind!r}.", field="kind")
    checked = check_url(url, field="url")
    if session.exec(select(Webhook).where(Webhook.name == name)).first():
        raise Conflict(
            f"A webhook called {name!r} already exists: choose another name.", field="name"
        )
    act_as(session, actor, "notify.webhook.add")
    hook = Webhook(name=name, kind=kind, url=checked)
    session.add(hook)
    session.flush()
    return hook


def remove_webhook(session: Session, *, actor: Actor, name: str) -> None:
    """Delete the webhook `name`; messages still waiting for it fail with the reason."""
    authorize(session, actor, MANAGE, "remove webhooks")
    hook = session.exec(select(Webhook).where(Webhook.name == name)).first()
    if hook is None:
        raise NotFound(f"There is no webhook called {name!r}. Reload the page.")
    act_as(session, actor, "notify.webhook.remove")
    session.delete(hook)
    session.flush()


def list_outbox(
    session: Session, *, actor: Actor, status: str | None = None, limit: int = 200
) -> pd.DataFrame:
    """Return the newest outbox rows (of `status` when given), with each failure's reason."""
    authorize(session, actor, MANAGE, "see the notification outbox")
    recipient = aliased(User)
    columns: list[Any] = [
        Notification.id,
        Notification.created_at,
        Notification.event,
        recipient.name,
        Notification.channel,
        Notification.target,
        Notification.subject,
        Notification.status,
        Notification.attempts,
        Notification.next_attempt_at,
        Notification.last_error,
        Notification.sent_at,
    ]
    query = (
        select(*columns)
        .outerjoin(recipient, col(recipient.id) == Notification.user_id)
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    if status:
        query = query.where(Notification.status == status)
    return pd.DataFrame(list(session.exec(query).all()), columns=OUTBOX_COLUMNS)


def resend(
    session: Session, *, actor: Actor, notification_id: int, now: datetime | None = None
) -> Notification:
    """Return the failed row put back in the outbox for the worker's next pass (an email
    goes to the recipient's address as it is now)."""
    authorize(session, actor, MANAGE, "resend notifications")
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        raise NotFound(f"There is no notification number {notification_id}. Reload the page.")
    if row.status != OutboxStatus.FAILED:
        raise InvalidInput(
            f"Notification {notification_id} is {row.status}: only a failed one can be resent."
        )
    if row.channel == Channel.EMAIL and row.user_id is not None:
        row.target = (session.get_one(User, row.user_id).email or "").strip()
    act_as(session, actor, "notify.resend")
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, now or utcnow()
    session.add(row)
    session.flush()
    return row
