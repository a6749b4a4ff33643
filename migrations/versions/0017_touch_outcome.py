"""touch.outcome, lead.first_contact_at and callback_at, leadpass first contact and assignment

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:00:00

A touch records whether it reached the person (connected, no answer, voicemail, email
sent, bounced); touches logged before this revision have none (unknown). The lead keeps its
first contact (first connected touch) and the time the rep promised to call back. The fact
table gets each pass's first contact and owner assignment (speed-to-lead's routing delay):
the facts are marked for a rebuild, which `leaddash.migrate` runs right after upgrading to
head, so the last qualified pass of each lead takes the lead's assignment at once (first
contacts start empty: no earlier touch has an outcome).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The type as it is at this revision (not imported from models, which move on).
UTC_TIMESTAMP = sa.DateTime(timezone=True)

FACTS_STALE = "facts_stale"


def upgrade() -> None:
    """Add touch.outcome, lead.first_contact_at / callback_at (with the owner's callback
    index) and leadpass.first_contact_at / assigned_at; mark the facts for a rebuild."""
    # Plain ALTER TABLE on both databases: a batch copy of lead would trip the foreign keys
    # that point at it.
    op.add_column("touch", sa.Column("outcome", sa.String(length=16), nullable=True))
    op.add_column("lead", sa.Column("first_contact_at", UTC_TIMESTAMP, nullable=True))
    op.add_column("lead", sa.Column("callback_at", UTC_TIMESTAMP, nullable=True))
    op.create_index("ix_lead_owner_callback", "lead", ["owner_id", "callback_at"])
    op.add_column("leadpass", sa.Column("first_contact_at", UTC_TIMESTAMP, nullable=True))
    op.add_column("leadpass", sa.Column("assigned_at", UTC_TIMESTAMP, nullable=True))
    versions = sa.table(
        "dataversion", sa.column("scope", sa.String), sa.column("counter", sa.Integer)
    )
    op.execute(versions.delete().where(versions.c.scope == FACTS_STALE))
    op.execute(versions.insert().values(scope=FACTS_STALE, counter=1))


def downgrade() -> None:
    """Drop the columns and index the upgrade added."""
    op.drop_column("leadpass", "assigned_at")
    op.drop_column("leadpass", "first_contact_at")
    op.drop_index("ix_lead_owner_callback", table_name="lead")
    op.drop_column("lead", "callback_at")
    op.drop_column("lead", "first_contact_at")
    op.drop_column("touch", "outcome")
