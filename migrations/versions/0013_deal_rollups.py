"""dealrollup and cyclerollup: the deals won, lost and open, and how long closed ones took

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00

Derived data, like the other rollups: the facts are marked for a rebuild, which
`leaddash.migrate` runs right after upgrading to head, so both start filled.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACTS_STALE = "facts_stale"
DIMS = ("month", "team_id", "owner_id", "definition_version_id", "source", "campaign", "segment")
TEXT = {"source": 120, "campaign": 200, "segment": 40, "kind": 8, "start": 16}


def _key(name: str) -> sa.Column:
    kind = sa.String(length=TEXT[name]) if name in TEXT else sa.Integer()
    return sa.Column(name, kind, nullable=False)


def upgrade() -> None:
    """Create the deal rollup and the cycle histogram; mark the facts for a rebuild."""
    op.create_table(
        "dealrollup",
        *[_key(n) for n in (*DIMS, "kind")],
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*DIMS, "kind", name=op.f("pk_dealrollup")),
    )
    op.create_table(
        "cyclerollup",
        *[_key(n) for n in (*DIMS, "start")],
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*DIMS, "start", "hours", name=op.f("pk_cyclerollup")),
    )
    versions = sa.table(
        "dataversion", sa.column("scope", sa.String), sa.column("counter", sa.Integer)
    )
    op.execute(versions.delete().where(versions.c.scope == FACTS_STALE))
    op.execute(versions.insert().values(scope=FACTS_STALE, counter=1))


def downgrade() -> None:
    """Drop both."""
    op.drop_table("cyclerollup")
    op.drop_table("dealrollup")
