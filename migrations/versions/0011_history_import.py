"""history import: leads loaded from a CRM's history, stages without a date, deal amounts
on the facts, and the stages a pass went straight past

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 23:30:00

`leadpass.<stage>_at` now holds only the times a stage was seen (no longer back-filled
from a later stage), so the facts are marked for a rebuild, which `leaddash.migrate`
runs right after upgrading to head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACTS_STALE = "facts_stale"


def upgrade() -> None:
    """Add the history flag, the known-time flag, the pass amount and stages gone past,
    and the rollup's count of them."""
    # Plain ADD COLUMN (SQLite supports it with a default): batch mode would copy the
    # lead table, which other tables' foreign keys refuse.
    op.add_column(
        "lead", sa.Column("is_history", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "stageevent",
        sa.Column("time_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("leadpass", sa.Column("amount", sa.Float(), nullable=True))
    op.add_column(
        "leadpass", sa.Column("went_past", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "stagerollup", sa.Column("implied", sa.Integer(), nullable=False, server_default="0")
    )
    versions = sa.table(
        "dataversion", sa.column("scope", sa.String), sa.column("counter", sa.Integer)
    )
    op.execute(versions.delete().where(versions.c.scope == FACTS_STALE))
    op.execute(versions.insert().values(scope=FACTS_STALE, counter=1))


def downgrade() -> None:
    """Drop the five columns (and the rebuild marker)."""
    versions = sa.table("dataversion", sa.column("scope", sa.String))
    op.execute(versions.delete().where(versions.c.scope == FACTS_STALE))
    with op.batch_alter_table("stagerollup") as batch:
        batch.drop_column("implied")
    with op.batch_alter_table("leadpass") as batch:
        batch.drop_column("went_past")
        batch.drop_column("amount")
    with op.batch_alter_table("stageevent") as batch:
        batch.drop_column("time_known")
    with op.batch_alter_table("lead") as batch:
        batch.drop_column("is_history")
