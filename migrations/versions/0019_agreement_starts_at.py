"""agreementversion.starts_at: a signed version may take effect later

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 10:00:00

A version signed by both sides with a start in the future waits as `scheduled` until
`starts_at`; the worker then makes it active (and retires the one in force). Versions
stored before this revision have no planned start: they took effect when signed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add agreementversion.starts_at (empty on every stored version)."""
    op.add_column("agreementversion", sa.Column("starts_at", UTC_TIMESTAMP, nullable=True))


def downgrade() -> None:
    """Drop agreementversion.starts_at; a version still waiting to start goes back to
    proposed (its signatures kept), since older code knows no scheduled state."""
    versions = sa.table(
        "agreementversion", sa.column("status", sa.String), sa.column("starts_at", UTC_TIMESTAMP)
    )
    op.execute(versions.update().where(versions.c.status == "scheduled").values(status="proposed"))
    op.drop_column("agreementversion", "starts_at")
