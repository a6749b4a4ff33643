"""leakrollup: passes not won counted at the last funnel stage they reached

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 02:05:00

Derived data only: it starts empty; `python -m leaddash analytics rebuild` fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_KEYS = {
    "last_stage": 16,
    "source": 120,
    "campaign": 200,
    "segment": 40,
    "exit_stage": 16,
    "exit_reason": 40,
}
KEYS = (
    "month",
    "team_id",
    "owner_id",
    "definition_version_id",
    "source",
    "campaign",
    "segment",
    "last_stage",
    "exit_stage",
    "exit_reason",
)


def upgrade() -> None:
    """Create the leakage rollup."""
    op.create_table(
        "leakrollup",
        *[
            sa.Column(
                name,
                sa.String(length=TEXT_KEYS[name]) if name in TEXT_KEYS else sa.Integer(),
                nullable=False,
            )
            for name in KEYS
        ],
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("untouched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_leakrollup")),
    )


def downgrade() -> None:
    """Drop the leakage rollup."""
    op.drop_table("leakrollup")
