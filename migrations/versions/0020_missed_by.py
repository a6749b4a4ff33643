"""lead.touch_missed_by_id and decision_missed_by_id: whose breach a reassigned lead carries

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 10:15:00

When an open lead is reassigned after a deadline passed unreached, the breach stays with
the owner at the time: the lead keeps that user's id per milestone. Existing leads start
with none (nobody recorded who held them at their deadline), so the breach list names the
current owner for them, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable user ids (plain ALTER TABLE on both databases)."""
    op.add_column("lead", sa.Column("touch_missed_by_id", sa.Integer(), nullable=True))
    op.add_column("lead", sa.Column("decision_missed_by_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the columns the upgrade added."""
    op.drop_column("lead", "decision_missed_by_id")
    op.drop_column("lead", "touch_missed_by_id")
