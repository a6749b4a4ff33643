"""lead.phone and the appsetting table (key/value settings an admin keeps, e.g. the CRM
link template)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 10:10:00

A lead may carry a phone number (imports take it from a Phone / Mobile column); leads
stored before this revision have none. `appsetting` holds small app-wide settings as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add lead.phone (empty on existing leads) and create appsetting."""
    # Plain ALTER TABLE on both databases: a batch copy of lead would trip the foreign keys
    # that point at it.
    op.add_column("lead", sa.Column("phone", sa.String(length=40), nullable=True))
    op.create_table(
        "appsetting",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    """Drop what the upgrade added."""
    op.drop_table("appsetting")
    op.drop_column("lead", "phone")
