"""leadpass: index of exits by score, for the high-score disqualified list

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:00:00

The calibration page lists the disqualified passes with the highest scores; without this
index the database sorts every disqualified pass of the months shown (0.34 s at a million
leads), with it it walks the index from the top score down and stops at the list's limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the (exit_stage, score) index on leadpass."""
    op.create_index("ix_leadpass_exit_score", "leadpass", ["exit_stage", "score"])


def downgrade() -> None:
    """Drop the (exit_stage, score) index."""
    op.drop_index("ix_leadpass_exit_score", table_name="leadpass")
