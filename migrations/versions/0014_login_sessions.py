"""loginsession: logins the server holds (revokedlogin goes); loginfailure keeps the address

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00

A login is now a row the server holds (the cookie carries only a random token), so one
user's logins can be ended at once, and a logout ends its row: the table of revoked tokens
goes. Logins made before this revision held no such row: they end here, and everyone logs in
once more. Failed logins keep the address they came from, so the throttle can slow one
address spraying many usernames, and a user keeps the address of their last good login,
whose failures the throttle counts apart from a stranger's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create loginsession, drop revokedlogin, add loginfailure.address and
    app_user.last_login_address."""
    op.drop_table("revokedlogin")
    op.create_table(
        "loginsession",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("ended_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("ended_reason", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_loginsession_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_loginsession")),
    )
    op.create_index("ix_loginsession_user_id_ended_at", "loginsession", ["user_id", "ended_at"])
    with op.batch_alter_table("loginfailure") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
    op.create_index("ix_loginfailure_address_failed_at", "loginfailure", ["address", "failed_at"])
    # Plain ALTER TABLE on both databases: a batch copy of app_user would trip the foreign
    # keys that point at it.
    op.add_column("app_user", sa.Column("last_login_address", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop loginsession, loginfailure.address and app_user.last_login_address."""
    op.drop_column("app_user", "last_login_address")
    op.drop_index("ix_loginfailure_address_failed_at", table_name="loginfailure")
    with op.batch_alter_table("loginfailure") as batch:
        batch.drop_column("address")
    op.drop_index("ix_loginsession_user_id_ended_at", table_name="loginsession")
    op.drop_table("loginsession")
    op.create_table(
        "revokedlogin",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_revokedlogin")),
    )
