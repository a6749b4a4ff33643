"""rollups of the MQL passes (reprollup, mixrollup) and LeadPass deadline indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:30:00

Derived data only: the rollups start empty; `python -m leaddash analytics rebuild` fills
them together with LeadPass (run it after upgrading a database that already has passes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "mqls",
    "validated",
    "decided",
    "touch_due",
    "touched_in_time",
    "decision_due",
    "decided_in_time",
    "decided_of_due",
    "attempts_1",
    "attempts_2",
    "attempts_3",
    "attempts_4",
    "attempts_5",
)
DEADLINE_INDEXES = {
    "ix_leadpass_touch_due": "touch_due_at",
    "ix_leadpass_decision_due": "decision_due_at",
}


def _keys(*names: str) -> list[sa.Column]:
    kinds = {
        "is_sample": sa.Boolean(),
        "exit_stage": sa.String(length=16),
        "exit_reason": sa.String(length=40),
        "source": sa.String(length=120),
        "campaign": sa.String(length=200),
        "segment": sa.String(length=40),
    }
    return [sa.Column(name, kinds.get(name, sa.Integer()), nullable=False) for name in names]


def _rollup(name: str, *keys: str) -> None:
    op.create_table(
        name,
        *[sa.Column(count, sa.Integer(), nullable=False) for count in COUNTS],
        *_keys(*keys),
        sa.PrimaryKeyConstraint(*keys, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    """Create the two rollups and the indexes of the passes' deadlines."""
    common = (
        "mql_month",
        "team_id",
        "definition_version_id",
        "is_sample",
        "exit_stage",
        "exit_reason",
    )
    _rollup("reprollup", *common, "owner_id")
    _rollup("mixrollup", *common, "source", "campaign", "segment")
    for name, column in DEADLINE_INDEXES.items():
        op.create_index(name, "leadpass", [column])


def downgrade() -> None:
    """Drop the rollups and the deadline indexes."""
    for name in DEADLINE_INDEXES:
        op.drop_index(name, table_name="leadpass")
    op.drop_table("mixrollup")
    op.drop_table("reprollup")
