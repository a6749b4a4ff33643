"""responserollup: the histogram of the MQL passes' response times

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:40:00

Derived data only: it starts empty; `python -m leaddash analytics rebuild` fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ("mql_month", "team_id", "owner_id", "definition_version_id", "quarter_hours")


def upgrade() -> None:
    """Create the histogram table."""
    op.create_table(
        "responserollup",
        *[sa.Column(name, sa.Integer(), nullable=False) for name in KEYS],
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f("pk_responserollup")),
    )


def downgrade() -> None:
    """Drop the histogram table."""
    op.drop_table("responserollup")
