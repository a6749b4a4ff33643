"""notification outbox, notification preferences and settings, webhooks, worker lease

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:30:00

Notifications are written to an outbox (`notification`) in the transaction of the event
that causes them and sent by a worker; `workerlease` lets exactly one of several app
instances send. Users choose events and channels (`notifypreference`, `notifychoice`); an
admin enters the SMTP server (`notifysettings`, no password: it comes from the environment)
and the chat webhooks (`webhook`). New tables only: no existing row changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def _user_fk(table: str, column: str = "user_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["app_user.id"], name=op.f(f"fk_{table}_{column}_app_user")
    )


def _create_outbox() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("sent_at", UTC_TIMESTAMP, nullable=True),
        _user_fk("notification"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    op.create_index("ix_notification_status_next", "notification", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_notification_user_id"), "notification", ["user_id"])
    op.create_index(op.f("ix_notification_created_at"), "notification", ["created_at"])


def _create_preferences() -> None:
    op.create_table(
        "notifypreference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("business_hours_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        _user_fk("notifypreference"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notifypreference")),
    )
    op.create_table(
        "notifychoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("webhook", sa.String(length=80), nullable=False),
        _user_fk("notifychoice"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifychoice")),
        sa.UniqueConstraint(
            "user_id",
            "event",
            "channel",
            "webhook",
            name=op.f("uq_notifychoice_user_id_event_channel_webhook"),
        ),
    )


def _create_settings() -> None:
    op.create_table(
        "notifysettings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("smtp_host", sa.String(length=253), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_tls", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=True),
        sa.Column("app_url", sa.String(length=500), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _user_fk("notifysettings", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifysettings")),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
        sa.UniqueConstraint("name", name=op.f("uq_webhook_name")),
    )
    op.create_table(
        "workerlease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workerlease")),
    )


def upgrade() -> None:
    """Create the outbox, the preference, settings and webhook tables, and the lease."""
    _create_outbox()
    _create_preferences()
    _create_settings()


def downgrade() -> None:
    """Drop the tables this revision created."""
    for table in (
        "workerlease",
        "webhook",
        "notifysettings",
        "notifychoice",
        "notifypreference",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_notification_created_at"), table_name="notification")
    op.drop_index(op.f("ix_notification_user_id"), table_name="notification")
    op.drop_index("ix_notification_status_next", table_name="notification")
    op.drop_table("notification")
