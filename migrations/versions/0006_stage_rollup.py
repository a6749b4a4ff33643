"""stagerollup: the funnel's passes counted per stage and month entered

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 01:50:00

Derived data only: it starts empty; `python -m leaddash analytics rebuild` fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_KEYS = {"stage": 16, "source": 120, "campaign": 200, "segment": 40}
KEYS = (
    "month",
    "team_id",
    "owner_id",
    "definition_version_id",
    "source",
    "campaign",
    "segment",
    "stage",
)
COUNTS = (
    "entered",
    "reached_mql",
    "reached_accepted",
    "reached_validated",
    "reached_sql",
    "reached_opportunity",
    "reached_won",
)


def upgrade() -> None:
    """Create the stage rollup."""
    op.create_table(
        "stagerollup",
        *[
            sa.Column(
                name,
                sa.String(length=TEXT_KEYS[name]) if name in TEXT_KEYS else sa.Integer(),
                nullable=False,
            )
            for name in KEYS
        ],
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_stagerollup")),
    )


def downgrade() -> None:
    """Drop the stage rollup."""
    op.drop_table("stagerollup")
