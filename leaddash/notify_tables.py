"""The notification tables: the outbox, who wants which event on which channel, the
delivery settings an admin enters, and the lease that lets one worker send. They live beside
`leaddash.models` in the data layer; `leaddash.notify` writes and reads them.

An outbox row is written in the transaction of the event that causes it, so a rolled-back
action leaves none; the worker holding the lease sends it later and records the outcome.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (as leaddash.models stores it; this
    module is imported by models, so it does not import it back)."""
    return datetime.now(UTC)


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class TlsMode(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class WebhookKind(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


class Notification(SQLModel, table=True):
    """One message to one recipient on one channel: pending until the worker sends it, then
    sent, or failed with the reason after the last attempt. `target` is the email address
    or the webhook's name; `dedupe_key` makes an event's message to a recipient once only."""

    __table_args__ = (Index("ix_notification_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    channel: str = Field(max_length=16)
    target: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text))
    link: str | None = Field(default=None, max_length=500)
    dedupe_key: str = Field(max_length=300, unique=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None


class NotifyPreference(SQLModel, table=True):
    """A user's saved choice: quiet hours (send only within the SLA calendar's business
    hours). Without this row the user gets every event meant for them by email."""

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    business_hours_only: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    updated_at: datetime = Field(default_factory=utcnow)


class NotifyChoice(SQLModel, table=True):
    """One event a user wants on one channel (`webhook` names the webhook; "" for email).
    Only read once the user has saved a NotifyPreference."""

    __table_args__ = (UniqueConstraint("user_id", "event", "channel", "webhook"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    event: str = Field(max_length=40)
    channel: str = Field(max_length=16)
    webhook: str = Field(default="", max_length=80)


class NotifySettings(SQLModel, table=True):
    """The SMTP server (one row, id 1). Its password comes from LEADDASH_SMTP_PASSWORD and is
    never stored. `app_url` starts the links in messages (empty: links stay relative)."""

    id: int | None = Field(default=None, primary_key=True)
    smtp_host: str = Field(default="", max_length=253)
    smtp_port: int = Field(default=587)
    smtp_tls: str = Field(default=TlsMode.STARTTLS, max_length=16)
    sender: str = Field(default="", max_length=254)
    username: str | None = Field(default=None, max_length=254)
    app_url: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Webhook(SQLModel, table=True):
    """An incoming webhook of a chat tool (Slack or Teams), entered by an admin."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=16)
    url: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class WorkerLease(SQLModel, table=True):
    """Who may run the named worker until `expires_at`: the one instance that sends."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    expires_at: datetime
