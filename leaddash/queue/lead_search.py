"""Find a lead by name, company, email or external id, among the leads the actor may see.

A match is a case-insensitive substring. Indexed matches come first and cost nothing at a
million leads: a lead number ("123" or "#123"), an external id typed whole, an email typed
whole (its lower-cased key is indexed). The substring scan then walks the leads newest
first and stops at the limit, so a common word answers at once; a word no lead holds reads
every lead in scope once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import or_
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import lead_name_sql
from leaddash.errors import InvalidInput
from leaddash.models import Lead
from leaddash.queue.lead_page import visible_clauses

SEARCH_LIMIT = 50
MIN_CHARS = 2
SEARCH_COLUMNS = ["id", "name", "company", "email", "external_id", "stage"]


def _columns() -> list[Any]:
    return [
        Lead.id,
        lead_name_sql().label("name"),
        Lead.company,
        Lead.email,
        Lead.external_id,
        Lead.stage,
    ]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _indexed(text: str) -> list[Any]:
    """Return the conditions an index answers: the lead number, the whole external id,
    the whole email."""
    exact = [Lead.external_id == text, Lead.email_key == text.lower()]
    number = text.removeprefix("#")
    if number.isdigit():
        exact.append(Lead.id == int(number))
    return exact


def _substring(text: str) -> Any:
    like = f"%{_escaped(text)}%"
    return or_(
        *(
            column.ilike(like, escape="\\")
            for column in (
                lead_name_sql(),
                col(Lead.company),
                col(Lead.email),
                col(Lead.external_id),
            )
        )
    )


def search_leads(
    session: Session, *, actor: Actor, text: str, limit: int = SEARCH_LIMIT
) -> pd.DataFrame:
    """Return up to `limit` leads the actor may see whose name, company, email or external
    id holds `text` (any case): exact hits on the number, external id or email first, then
    the newest leads."""
    verify_actor(session, actor)
    scope = visible_clauses(actor)
    text = text.strip()
    if len(text) < MIN_CHARS:
        raise InvalidInput(
            f"Type at least {MIN_CHARS} characters of a name, company, email or external id.",
            field="search",
        )
    found = list(session.exec(select(*_columns()).where(or_(*_indexed(text)), *scope)).all())
    seen = {row[0] for row in found}
    more = session.exec(
        select(*_columns())
        .where(_substring(text), *scope)
        .order_by(col(Lead.id).desc())
        .limit(limit + len(seen))
    ).all()
    found += [row for row in more if row[0] not in seen]
    return pd.DataFrame(found[:limit], columns=SEARCH_COLUMNS)
