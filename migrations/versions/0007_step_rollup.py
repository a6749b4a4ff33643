"""steprollup: the histogram of the time between consecutive funnel stages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 02:00:00

Derived data only: it starts empty; `python -m leaddash analytics rebuild` fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_KEYS = {"source": 120, "campaign": 200, "segment": 40}
KEYS = (
    "step",
    "month",
    "team_id",
    "definition_version_id",
    "source",
    "campaign",
    "segment",
    "hours",
)


def upgrade() -> None:
    """Create the step histogram."""
    op.create_table(
        "steprollup",
        *[
            sa.Column(
                name,
                sa.String(length=TEXT_KEYS[name]) if name in TEXT_KEYS else sa.Integer(),
                nullable=False,
            )
            for name in KEYS
        ],
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_steprollup")),
    )


def downgrade() -> None:
    """Drop the step histogram."""
    op.drop_table("steprollup")
