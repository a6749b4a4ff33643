"""leadpass speed-to-lead durations and history flag

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 13:00:00

Speed-to-lead read each pass's times and worked out its durations in SQL, and left history
leads out through a sub-query over every lead: at a million leads the SLA compliance page
took twelve seconds. Each pass now keeps its durations in minutes (response, first contact,
routing delay, rep delay) and its lead's history flag, and one partial index holds every
column speed-to-lead reads of the passes it counts. The facts are marked for a rebuild,
which `leaddash.migrate` runs right after upgrading to head, so every pass gets them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATIONS = ("response_minutes", "contact_minutes", "routing_minutes", "rep_minutes")
# Every column speed-to-lead reads of an MQL pass, so it reads from the index alone.
SPEED_INDEXED = (
    "mql_month",
    "team_id",
    "owner_id",
    *DURATIONS,
    "response_hours",
    "mql_at",
    "touch_due_at",
    "first_touch_at",
    "first_contact_at",
    "validated_at",
    "exit_stage",
    "exit_at",
    "won_month",
    "is_history",  # in the index's condition, but SQLite covers only with it as a column
)
FACTS_STALE = "facts_stale"


def upgrade() -> None:
    """Add the four duration columns and is_history to leadpass, the speed index over
    them; mark the facts stale."""
    for name in DURATIONS:
        op.add_column("leadpass", sa.Column(name, sa.Float(), nullable=True))
    op.add_column(
        "leadpass",
        sa.Column("is_history", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_leadpass_speed",
        "leadpass",
        list(SPEED_INDEXED),
        sqlite_where=sa.text("mql_at IS NOT NULL AND is_history = 0"),
        postgresql_where=sa.text("mql_at IS NOT NULL AND is_history = false"),
    )
    versions = sa.table(
        "dataversion", sa.column("scope", sa.String), sa.column("counter", sa.Integer)
    )
    op.execute(versions.delete().where(versions.c.scope == FACTS_STALE))
    op.execute(versions.insert().values(scope=FACTS_STALE, counter=1))


def downgrade() -> None:
    """Drop the index and columns the upgrade added."""
    op.drop_index("ix_leadpass_speed", table_name="leadpass")
    op.drop_column("leadpass", "is_history")
    for name in reversed(DURATIONS):
        op.drop_column("leadpass", name)
