"""lead: SLA warning points and alert steps (touch/decision_warn_at, *_alert_step)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00

Each open lead's first-touch and decision milestones get a warning point (the SLA's
warning share of the window from MQL to deadline, in business time) and the step the SLA
sweep has reached in telling people about it (0 nothing, 1 warning, 2 breach, 2 + k the
k-th escalation). Leads that are already MQLs get no warning point here: it needs the
SLA's business calendar, so the sweep (leaddash.queue.sla_sweep) computes the missing ones
of open leads on its first pass; their alert step starts at 0, so a lead already past its
deadline is told once, at its current step.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the four columns and the two indexes the sweep reads by."""
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("touch_warn_at", UTC_TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("decision_warn_at", UTC_TIMESTAMP, nullable=True))
        batch.add_column(
            sa.Column("touch_alert_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("decision_alert_step", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index("ix_lead_touch_alerts", ["stage", "touch_alert_step", "touch_warn_at"])
        batch.create_index(
            "ix_lead_decision_alerts", ["stage", "decision_alert_step", "decision_warn_at"]
        )


def downgrade() -> None:
    """Drop the indexes and the columns."""
    with op.batch_alter_table("lead") as batch:
        batch.drop_index("ix_lead_decision_alerts")
        batch.drop_index("ix_lead_touch_alerts")
        batch.drop_column("decision_alert_step")
        batch.drop_column("touch_alert_step")
        batch.drop_column("decision_warn_at")
        batch.drop_column("touch_warn_at")
