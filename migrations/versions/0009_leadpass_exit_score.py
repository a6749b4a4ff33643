"""leadpass: index of exits by score, for the high-score disqualified list

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:00:00

The calibration page lists the disqualified passes with the highest scores; without this
index the database sorts every disqualified pass of the months shown (0.19-0.34 s at a
million leads), with it it reads the index from the top score down and stops at the list's
limit (10 ms). Partial (exit_stage IS NOT NULL): a full index drew SQLite's planner to it for
the open passes (exit_stage IS NULL) of the leakage and compliance corrections, which then
scanned every open pass (leakage 7 ms -> 0.55 s).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the (exit_stage, score) index on leadpass."""
    op.create_index(
        "ix_leadpass_exit_score",
        "leadpass",
        ["exit_stage", "score"],
        sqlite_where=sa.text("exit_stage IS NOT NULL"),
        postgresql_where=sa.text("exit_stage IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop the (exit_stage, score) index."""
    op.drop_index("ix_leadpass_exit_score", table_name="leadpass")
