"""The analytics tables: the fact table, one narrow row per qualification pass of a lead,
and its rollups. They live beside `leaddash.models` in the data layer; analytics reads them.

Dashboards read this table instead of scanning `lead` and `stageevent`, which is too slow
at a million leads. It is derived data: `leaddash.facts.refresh` rebuilds a lead's rows
from its stage events, touches and lead row whenever one of them changes, so it carries no
foreign keys (a lead's rows are replaced, never edited).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

SPEED_INDEXED = (
    "mql_month",
    "team_id",
    "owner_id",
    "response_minutes",
    "contact_minutes",
    "routing_minutes",
    "rep_minutes",
    "response_hours",
    "mql_at",
    "touch_due_at",
    "first_touch_at",
    "first_contact_at",
    "validated_at",
    "exit_stage",
    "exit_at",
    "won_month",
    "is_history",  # in the index's condition, but SQLite covers only with it as a column
)


class LeadPass(SQLModel, table=True):
    """One pass of a lead through the funnel: a lead recycled and qualified again has a
    second pass; an inquiry that never qualified has one pass with mql_at NULL.

    A stage's `<stage>_at` is when the pass was *seen* entering it (a dated stage event),
    and is NULL for a stage it went straight past (a won deal never seen as an MQL).
    `<stage>_month` says the pass *reached* the stage: the month it entered it, or for a
    stage it went past, the month of the next stage it was seen in. `went_past` has bit i
    set when the pass went past the i-th funnel stage (FUNNEL_STAGES) with no event for
    it at all: a stage entered by an event without a known time has no `_at`, but it was
    not gone past. Month keys are yyyymm integers in the active SLA calendar's time zone.
    `amount` is the lead's deal amount, on its last pass. `first_contact_at` is the pass's
    first connected touch (or the contact its decision recorded); `assigned_at` when its
    owner got it (last pass only, never before its MQL time). `is_history` copies the lead's
    flag (a CRM history lead), and the `*_minutes` columns hold speed-to-lead's durations."""

    __table_args__ = (
        UniqueConstraint("lead_id", "pass_no"),
        Index("ix_leadpass_mql_team", "mql_month", "team_id"),
        Index("ix_leadpass_mql_source", "mql_month", "source"),
        Index("ix_leadpass_owner_mql", "owner_id", "mql_month"),
        Index("ix_leadpass_inquiry_month", "inquiry_month"),
        # The rollups' live correction reads the passes whose deadline is still ahead.
        Index("ix_leadpass_touch_due", "touch_due_at"),
        Index("ix_leadpass_decision_due", "decision_due_at"),
        # Calibration lists the disqualified passes with the highest scores first. Partial,
        # so a query for open passes (exit_stage IS NULL) cannot pick it over the deadline
        # indexes: without it the leakage correction scanned every open pass.
        Index(
            "ix_leadpass_exit_score",
            "exit_stage",
            "score",
            sqlite_where=text("exit_stage IS NOT NULL"),
            postgresql_where=text("exit_stage IS NOT NULL"),
        ),
        # Speed-to-lead reads from this index alone (leaddash.analytics.speed): every column
        # it reads of an MQL pass, for the passes it counts (never history leads').
        Index(
            "ix_leadpass_speed",
            *SPEED_INDEXED,
            sqlite_where=text("mql_at IS NOT NULL AND is_history = 0"),
            postgresql_where=text("mql_at IS NOT NULL AND is_history = false"),
        ),
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
    first_contact_at: datetime | None = None
    assigned_at: datetime | None = None
    decision_due_at: datetime | None = None
    decided_at: datetime | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    response_hours: float | None = None
    # Speed-to-lead's wall-clock durations (leaddash.analytics.passes.DURATIONS).
    response_minutes: float | None = None
    contact_minutes: float | None = None
    routing_minutes: float | None = None
    rep_minutes: float | None = None
    is_history: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    score: float | None = None
    fit_clause: str | None = Field(default=None, max_length=40)
    amount: float | None = None
    went_past: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    inquiry_month: int | None = None
    mql_month: int | None = None
    accepted_month: int | None = None
    validated_month: int | None = None
    sql_month: int | None = None
    opportunity_month: int | None = None
    won_month: int | None = None
    exit_month: int | None = None


class PassCounts(SQLModel):
    """The measures every rollup row holds: how many MQL passes of its group satisfy each
    condition of leaddash.analytics.rollups.conditions, deadlines counted as passed."""

    mqls: int = 0
    validated: int = 0
    decided: int = 0
    touch_due: int = 0
    touched_in_time: int = 0
    decision_due: int = 0
    decided_in_time: int = 0
    decided_of_due: int = 0
    attempts_1: int = 0
    attempts_2: int = 0
    attempts_3: int = 0
    attempts_4: int = 0
    attempts_5: int = 0


class PassGroup(PassCounts):
    """The dimensions every rollup counts by. Dimensions are never NULL (0 or '' stand
    for none) so that an upsert finds its group."""

    mql_month: int = Field(primary_key=True)
    team_id: int = Field(default=0, primary_key=True)
    definition_version_id: int = Field(default=0, primary_key=True)
    is_sample: bool = Field(default=False, primary_key=True)
    exit_stage: str = Field(default="", max_length=16, primary_key=True)
    exit_reason: str = Field(default="", max_length=40, primary_key=True)


class RepRollup(PassGroup, table=True):
    """MQL passes counted per MQL month, team, definition version, sample flag, exit and
    rep (the per-rep views)."""

    owner_id: int = Field(default=0, primary_key=True)


class MixRollup(PassGroup, table=True):
    """MQL passes counted per MQL month, team, definition version, sample flag, exit,
    source, campaign and segment (no rep: the marketing breakdowns)."""

    source: str = Field(default="", max_length=120, primary_key=True)
    campaign: str = Field(default="", max_length=200, primary_key=True)
    segment: str = Field(default="", max_length=40, primary_key=True)


class ResponseRollup(SQLModel, table=True):
    """A histogram of the MQL passes' response times (business hours to first touch) in
    quarter hours, capped (leaddash.analytics.responses), per MQL month, team, rep and
    definition version; dimensions are 0 for none."""

    mql_month: int = Field(primary_key=True)
    team_id: int = Field(default=0, primary_key=True)
    owner_id: int = Field(default=0, primary_key=True)
    definition_version_id: int = Field(default=0, primary_key=True)
    quarter_hours: int = Field(primary_key=True)
    passes: int = 0


class FunnelGroup(SQLModel):
    """The dimensions the funnel's rollups count by: the month a stage was entered and the
    pass's team, rep, definition version, source, campaign and segment (0 or '' for
    none, so that an upsert finds its group)."""

    month: int = Field(primary_key=True)
    team_id: int = Field(default=0, primary_key=True)
    owner_id: int = Field(default=0, primary_key=True)
    definition_version_id: int = Field(default=0, primary_key=True)
    source: str = Field(default="", max_length=120, primary_key=True)
    campaign: str = Field(default="", max_length=200, primary_key=True)
    segment: str = Field(default="", max_length=40, primary_key=True)


class StageRollup(FunnelGroup, table=True):
    """Passes counted per funnel stage and group: how many entered the stage (of them,
    how many went straight past it, `implied`), and how many of those reached each later
    stage (ever)."""

    stage: str = Field(max_length=16, primary_key=True)
    entered: int = 0
    implied: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reached_mql: int = 0
    reached_accepted: int = 0
    reached_validated: int = 0
    reached_sql: int = 0
    reached_opportunity: int = 0
    reached_won: int = 0


class StepRollup(SQLModel, table=True):
    """A histogram of the time passes took between consecutive funnel stages: per step
    (0: inquiry → mql, …), month the earlier stage was entered, team, definition version,
    source, campaign and segment, and duration bucket in hours (leaddash.analytics
    .rollups.step_hours). Dimensions are 0 or '' for none."""

    step: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    team_id: int = Field(default=0, primary_key=True)
    definition_version_id: int = Field(default=0, primary_key=True)
    source: str = Field(default="", max_length=120, primary_key=True)
    campaign: str = Field(default="", max_length=200, primary_key=True)
    segment: str = Field(default="", max_length=40, primary_key=True)
    hours: int = Field(primary_key=True)
    passes: int = 0


class LeakRollup(FunnelGroup, table=True):
    """Passes not won counted at the last funnel stage they reached (the group's month is
    that stage's) and their exit; with how many of the unexited were untouched MQLs with a
    first-touch deadline (counted as passed)."""

    last_stage: str = Field(max_length=16, primary_key=True)
    exit_stage: str = Field(default="", max_length=16, primary_key=True)
    exit_reason: str = Field(default="", max_length=40, primary_key=True)
    passes: int = 0
    untouched: int = 0


class DealRollup(FunnelGroup, table=True):
    """Deals counted per kind and group: `won` in the month won, `lost` in the month lost,
    `open` (reached sql, neither won nor out of the funnel) in the month it reached sql;
    with the won deals' amount."""

    kind: str = Field(max_length=8, primary_key=True)
    deals: int = 0
    amount: float = 0.0


class CycleRollup(FunnelGroup, table=True):
    """A histogram of the time closed deals took, from `start` (opportunity or mql, when the
    pass was seen entering it) to their close, per month closed and group, in hours
    bucketed as the step histogram (leaddash.analytics.funnel_rollups.step_hours)."""

    start: str = Field(max_length=16, primary_key=True)
    hours: int = Field(primary_key=True)
    deals: int = 0
