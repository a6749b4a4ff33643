"""lead.assigned_at: when the current owner got the lead (round-robin and daily caps)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:05:00

Existing owned leads take their MQL time as the assignment time, the best record there is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column and its index, then fill it for leads that already have an owner."""
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_lead_owner_assigned", ["owner_id", "assigned_at"])
    op.execute("UPDATE lead SET assigned_at = mql_at WHERE owner_id IS NOT NULL")


def downgrade() -> None:
    """Drop the index and the column."""
    with op.batch_alter_table("lead") as batch:
        batch.drop_index("ix_lead_owner_assigned")
        batch.drop_column("assigned_at")
