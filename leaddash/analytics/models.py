"""The analytics fact table: one narrow row per qualification pass of a lead.

Dashboards read this table instead of scanning `lead` and `stageevent`, which is too slow
at a million leads. It is derived data: `leaddash.analytics.facts` rebuilds a lead's rows
from its stage events, touches and lead row whenever one of them changes, so it carries no
foreign keys (a lead's rows are replaced, never edited).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class LeadPass(SQLModel, table=True):
    """One pass of a lead through the funnel: a lead recycled and qualified again has a
    second pass; an inquiry that never qualified has one pass with mql_at NULL. Month keys
    are yyyymm integers in the active SLA calendar's time zone."""

    __table_args__ = (
        UniqueConstraint("lead_id", "pass_no"),
        Index("ix_leadpass_mql_team", "mql_month", "team_id"),
        Index("ix_leadpass_mql_source", "mql_month", "source"),
        Index("ix_leadpass_owner_mql", "owner_id", "mql_month"),
        Index("ix_leadpass_inquiry_month", "inquiry_month"),
    )
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int
    pass_no: int = Field(default=1)
    source: str | None = Field(default=None, max_length=120)
    campaign: str | None = Field(default=None, max_length=200)
    segment: str | None = Field(default=None, max_length=40)
    team_id: int | None = None
    owner_id: int | None = None
    definition_version_id: int | None = None
    is_sample: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    inquiry_at: datetime | None = None
    mql_at: datetime | None = None
    accepted_at: datetime | None = None
    validated_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    exit_stage: str | None = Field(default=None, max_length=16)
    exit_reason: str | None = Field(default=None, max_length=40)
    exit_at: datetime | None = None
    touch_due_at: datetime | None = None
    first_touch_at: datetime | None = None
    decision_due_at: datetime | None = None
    decided_at: datetime | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    response_hours: float | None = None
    score: float | None = None
    fit_clause: str | None = Field(default=None, max_length=40)
    inquiry_month: int | None = None
    mql_month: int | None = None
    accepted_month: int | None = None
    validated_month: int | None = None
    sql_month: int | None = None
    opportunity_month: int | None = None
    won_month: int | None = None
    exit_month: int | None = None
