"""revokedlogin and loginfailure: logout and the login throttle, shared by every instance

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:30:00

Both tables start empty and stay small: a revoked token's row goes once the token has
expired, a failed login's once it no longer counts toward the throttle.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the revoked-token and failed-login tables."""
    op.create_table(
        "revokedlogin",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_revokedlogin")),
    )
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loginfailure")),
    )
    op.create_index("ix_loginfailure_username_failed_at", "loginfailure", ["username", "failed_at"])


def downgrade() -> None:
    """Drop the failed-login and revoked-token tables."""
    op.drop_index("ix_loginfailure_username_failed_at", table_name="loginfailure")
    op.drop_table("loginfailure")
    op.drop_table("revokedlogin")
