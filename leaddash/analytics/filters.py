"""What every dashboard can be narrowed by, and the WHERE clauses that narrow LeadPass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.sql import ColumnCollection, ColumnElement

from leaddash.auth import DASHBOARDS, team_scope
from leaddash.core.actor import Actor
from leaddash.fact_tables import LeadPass

PASSES = LeadPass.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Filters:
    """Dashboard filters; each None means "all". `start`/`end` are inclusive dates, matched
    against the month key of the stage a metric counts from (yyyymm in the SLA's zone)."""

    start: date | None = None
    end: date | None = None
    source: str | None = None
    campaign: str | None = None
    segment: str | None = None
    team_id: int | None = None
    owner_id: int | None = None
    definition_version_id: int | None = None


def month_key(day: date) -> int:
    """Return the yyyymm integer of the month `day` falls in."""
    return day.year * 100 + day.month


def named_dimensions(filters: Filters) -> dict[str, object]:
    """Return the dimensions the filters narrow, by column name, with their values."""
    named = {
        "source": filters.source,
        "campaign": filters.campaign,
        "segment": filters.segment,
        "team_id": filters.team_id,
        "owner_id": filters.owner_id,
        "definition_version_id": filters.definition_version_id,
    }
    return {name: value for name, value in named.items() if value is not None}


def dimension_clauses(
    actor: Actor, filters: Filters, columns: ColumnCollection = PASSES
) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses for the filters' dimensions and the actor's scope (a sales
    manager sees only their own team, whatever team the filters ask for), on LeadPass or
    on a table with the same column names."""
    clauses: list[ColumnElement[bool]] = []
    scope = team_scope(actor, DASHBOARDS)
    if scope is not None:
        clauses.append(columns.team_id == scope)
    clauses += [columns[name] == value for name, value in named_dimensions(filters).items()]
    return clauses


def month_clauses(month: ColumnElement, filters: Filters) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses keeping `month` (a yyyymm column) within the date range."""
    clauses: list[ColumnElement[bool]] = []
    if filters.start is not None:
        clauses.append(month >= month_key(filters.start))
    if filters.end is not None:
        clauses.append(month <= month_key(filters.end))
    return clauses


def pass_clauses(
    actor: Actor,
    filters: Filters,
    month: ColumnElement | None = None,
    columns: ColumnCollection = PASSES,
) -> list[ColumnElement[bool]]:
    """Return every WHERE clause for LeadPass (or a rollup of it): scope, dimensions and
    (on `month`, default the MQL month) the date range."""
    counted = columns.mql_month if month is None else month
    return [*dimension_clauses(actor, filters, columns), *month_clauses(counted, filters)]
