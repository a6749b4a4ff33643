"""leadpass: the analytics fact table, one row per qualification pass of a lead

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:40:00

Derived data only: it starts empty; `python -m leaddash analytics rebuild` fills it from the
stage events, touches and leads already stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
TIMES = (
    "inquiry_at",
    "mql_at",
    "accepted_at",
    "validated_at",
    "sql_at",
    "opportunity_at",
    "won_at",
    "lost_at",
)
SLA_TIMES = ("touch_due_at", "first_touch_at", "decision_due_at", "decided_at")
MONTHS = (
    "inquiry_month",
    "mql_month",
    "accepted_month",
    "validated_month",
    "sql_month",
    "opportunity_month",
    "won_month",
    "exit_month",
)
INDEXES = {
    "ix_leadpass_mql_team": ["mql_month", "team_id"],
    "ix_leadpass_mql_source": ["mql_month", "source"],
    "ix_leadpass_owner_mql": ["owner_id", "mql_month"],
    "ix_leadpass_inquiry_month": ["inquiry_month"],
}


def _nullable(names: Sequence[str], kind: sa.types.TypeEngine) -> list[sa.Column]:
    return [sa.Column(name, kind, nullable=True) for name in names]


def upgrade() -> None:
    """Create the table and the indexes the dashboards group and filter by."""
    op.create_table(
        "leadpass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("pass_no", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=40), nullable=True),
        *_nullable(("team_id", "owner_id", "definition_version_id"), sa.Integer()),
        sa.Column("is_sample", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_nullable(TIMES, UTC_TIMESTAMP),
        sa.Column("exit_stage", sa.String(length=16), nullable=True),
        sa.Column("exit_reason", sa.String(length=40), nullable=True),
        sa.Column("exit_at", UTC_TIMESTAMP, nullable=True),
        *_nullable(SLA_TIMES, UTC_TIMESTAMP),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("response_hours", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("fit_clause", sa.String(length=40), nullable=True),
        *_nullable(MONTHS, sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leadpass")),
        sa.UniqueConstraint("lead_id", "pass_no", name=op.f("uq_leadpass_lead_id_pass_no")),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "leadpass", columns)


def downgrade() -> None:
    """Drop the table (its indexes go with it)."""
    op.drop_table("leadpass")
