"""lead.country and routingrule.country as ISO 3166 alpha-2 codes where recognised

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:30:00

Imports now store countries as codes ("United States", "usa", "U.S." → US), which the
definition's country rules are written in; this brings the countries stored before in
line, by the same function the import uses. A value it does not recognise stays as it is.
Routing rules are converted too: a rule naming "United States" would otherwise stop
matching the leads it routed. One UPDATE per table, over the distinct stored values that
change. Data only, so no batch mode is needed on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leaddash.imports.values import country_code

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEAD = sa.table("lead", sa.column("country", sa.String(80)))
ROUTING_RULE = sa.table(
    "routingrule", sa.column("country", sa.String(80)), sa.column("version", sa.Integer())
)


def _codes(connection: sa.Connection, country: sa.ColumnClause) -> dict[str, str]:
    """Return code by stored value, for the distinct values of `country` that change."""
    stored = connection.execute(sa.select(country).distinct().where(country.is_not(None))).scalars()
    return {
        value: code
        for value in stored
        if (code := country_code(value)) is not None and code != value
    }


def upgrade() -> None:
    """Replace every recognised country of leads and routing rules by its code; a changed
    routing rule's version moves on, so a form opened before cannot undo it."""
    connection = op.get_bind()
    for table, bumped in ((LEAD, {}), (ROUTING_RULE, {"version": ROUTING_RULE.c.version + 1})):
        codes = _codes(connection, table.c.country)
        if codes:
            connection.execute(
                sa.update(table)
                .where(table.c.country.in_(list(codes)))
                .values(country=sa.case(codes, value=table.c.country), **bumped)
            )


def downgrade() -> None:
    """Keep the codes: the spellings they replaced were not kept, and 0010 reads codes."""
