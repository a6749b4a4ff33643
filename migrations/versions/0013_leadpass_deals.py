"""leadpass: partial indexes of the deals (won, lost, open), for the win rate

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00

The win rate and sales cycle (leaddash.analytics.wins) count the passes won in a range of
won months, lost in a range of exit months and still open in a range of sql months. Without
an index each is a scan of every pass; these, partial, hold only the deals (a few per cent
of the passes). The lost index leads with exit_stage so that SQLite's planner prefers it
(equality and month range) to ix_leadpass_exit_score (equality only) for the lost passes
of a date range.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in leaddash.analytics.models, written out: a migration keeps its own copy.
INDEXES = (
    ("ix_leadpass_won", ["won_month"], "won_month IS NOT NULL"),
    ("ix_leadpass_lost", ["exit_stage", "exit_month"], "exit_stage = 'lost'"),
    ("ix_leadpass_open_deals", ["sql_month"],
     "sql_month IS NOT NULL AND won_month IS NULL AND exit_stage IS NULL"),
)


def upgrade() -> None:
    """Create the three deal indexes on leadpass."""
    for name, columns, where in INDEXES:
        op.create_index(name, "leadpass", columns, sqlite_where=sa.text(where),
                        postgresql_where=sa.text(where))


def downgrade() -> None:
    """Drop the three deal indexes."""
    for name, _columns, _where in INDEXES:
        op.drop_index(name, table_name="leadpass")
