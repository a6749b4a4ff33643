"""SQLModel tables for the whole domain. Timestamps are timezone-aware UTC."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Index, Table, UniqueConstraint, false, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from leaddash.errors import ConfigError

JSONType = JSON().with_variant(JSONB(), "postgresql")

# Named constraints let Alembic's SQLite batch mode find them again.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


CLOCK_FILE = "LEADDASH_CLOCK_FILE"


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (how every timestamp is stored):
    the time written in the file LEADDASH_CLOCK_FILE names when it is set (tests only)."""
    clock = os.environ.get(CLOCK_FILE)
    return datetime.now(UTC) if not clock else _clock_time(Path(clock))


def _clock_time(path: Path) -> datetime:
    # Read on every call, so a test moves time by rewriting the file, without sleeping.
    try:
        written = path.read_text(encoding="utf-8").strip()
        moment = datetime.fromisoformat(written)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{CLOCK_FILE} is set but does not name a file holding an ISO time "
            "(2026-06-15T12:00:00+00:00). It is for tests only: unset it.",
            detail=f"{path}: {exc}",
        ) from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_value(value: int | None) -> int:
    """Return an id read from the database where it cannot be NULL (a primary key)."""
    if value is None:
        raise ValueError("An id read from the database is missing.")
    return value


def table_of(model: type[SQLModel]) -> Table:
    """Return a `table=True` model's table (SQLModel sets `__table__` at run time only)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def stored_id(row: _Stored) -> int:
    """Return the id the database gave `row` (loaded, or added and flushed)."""
    if row.id is None:
        raise ValueError(
            f"This {type(row).__name__} has no id: it is not stored yet (flush the session first)."
        )
    return row.id


class Role(StrEnum):
    ADMIN = "admin"
    MARKETING_LEADER = "marketing_leader"
    SALES_LEADER = "sales_leader"
    SALES_MANAGER = "sales_manager"
    REP = "rep"
    MARKETING = "marketing"


class Stage(StrEnum):
    INQUIRY = "inquiry"
    MQL = "mql"
    ACCEPTED = "accepted"
    VALIDATED = "validated"
    DISQUALIFIED = "disqualified"
    REJECTED = "rejected"
    RECYCLED = "recycled"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


OPEN_STAGES = (Stage.MQL, Stage.ACCEPTED)
FUNNEL_STAGES = (
    Stage.INQUIRY,
    Stage.MQL,
    Stage.ACCEPTED,
    Stage.VALIDATED,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.WON,
)


class AgreementKind(StrEnum):
    DEFINITION = "definition"
    SLA = "sla"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    SCHEDULED = "scheduled"  # signed by both sides, in force from `starts_at`
    ACTIVE = "active"
    RETIRED = "retired"


class Side(StrEnum):
    MARKETING = "marketing"
    SALES = "sales"


class ReasonKind(StrEnum):
    REJECT = "reject"
    DISQUALIFY = "disqualify"
    RECYCLE = "recycle"


class TouchOutcome(StrEnum):
    """What a touch came to; only `connected` reached the person (a first contact)."""

    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    EMAIL_SENT = "email_sent"
    BOUNCED = "bounced"


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class OptimisticLock(SQLModel):
    """Rows two people may edit carry a version; a stale save raises StaleDataError."""

    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Team(OptimisticLock, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class User(OptimisticLock, table=True):
    __tablename__ = "app_user"  # "user" is a reserved word in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str = Field(max_length=128)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    is_away: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    daily_cap: int = Field(default=25, sa_column_kwargs={"server_default": "25"})
    created_at: datetime = Field(default_factory=utcnow)
    # The network of the last good login: the login throttle counts its failures apart.
    last_login_address: str | None = Field(default=None, max_length=64)


class AgreementVersion(OptimisticLock, table=True):
    """One version of the lead definition or of the SLA; `content` holds its terms."""

    __table_args__ = (
        UniqueConstraint("kind", "number"),
        Index("ix_agreementversion_kind_status", "kind", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    number: int
    title: str = Field(max_length=200)
    status: str = Field(default=AgreementStatus.DRAFT, max_length=16)
    content: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    summary: str = Field(default="")
    based_on_id: int | None = Field(default=None, foreign_key="agreementversion.id")
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    proposed_at: datetime | None = None
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    starts_at: datetime | None = None  # when a signed version takes effect (None: at once)
    next_review_on: date | None = None


class Signature(SQLModel, table=True):
    """A side's signature on a version; withdrawn signatures are kept with their date."""

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreementversion.id", index=True)
    side: str = Field(max_length=16)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    signed_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreementversion.id", index=True)
    author_id: int = Field(foreign_key="app_user.id", index=True)
    body: str
    created_at: datetime = Field(default_factory=utcnow)


class Reason(OptimisticLock, table=True):
    """An agreed reason for rejecting, disqualifying or recycling a lead."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    label: str = Field(max_length=120)
    kind: str = Field(max_length=16)
    needs_min_attempts: bool = Field(default=False)
    is_active: bool = Field(default=True)
    sort_order: int = Field(default=0)


class Lead(OptimisticLock, table=True):
    __table_args__ = (
        Index("ix_lead_owner_queue", "owner_id", "stage", "touch_due_at"),
        Index("ix_lead_team_queue", "team_id", "stage", "touch_due_at"),
        Index("ix_lead_stage_mql", "stage", "mql_at"),
        Index("ix_lead_mql_at", "mql_at"),
        Index("ix_lead_created_at", "created_at"),
        Index("ix_lead_source_campaign", "source", "campaign"),
        Index("ix_lead_owner_assigned", "owner_id", "assigned_at"),
        Index("ix_lead_touch_alerts", "stage", "touch_alert_step", "touch_warn_at"),
        Index("ix_lead_decision_alerts", "stage", "decision_alert_step", "decision_warn_at"),
        Index("ix_lead_owner_callback", "owner_id", "callback_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=120, unique=True)
    email: str | None = Field(default=None, max_length=254)
    email_key: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40)
    first_name: str | None = Field(default=None, max_length=120)
    last_name: str | None = Field(default=None, max_length=120)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=80)
    industry: str | None = Field(default=None, max_length=120)
    employees: int | None = None
    source: str | None = Field(default=None, max_length=120)
    campaign: str | None = Field(default=None, max_length=200)
    segment: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    custom: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    stage: str = Field(default=Stage.INQUIRY, max_length=16)
    stage_changed_at: datetime = Field(default_factory=utcnow)
    score: float = Field(default=0.0)
    fit_ok: bool | None = None
    fit_failed_clause: str | None = Field(default=None, max_length=40)
    definition_version_id: int | None = Field(
        default=None, foreign_key="agreementversion.id", index=True
    )
    is_sample: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    assigned_at: datetime | None = None
    mql_at: datetime | None = None
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    # The first touch that reached the person (outcome connected), or the decision that did.
    first_contact_at: datetime | None = None
    # When the rep said they would call back; the next touch or decision clears it.
    callback_at: datetime | None = None
    decided_at: datetime | None = None
    touch_due_at: datetime | None = None
    decision_due_at: datetime | None = None
    # The SLA's warning points, and how far the SLA sweep has told people about each
    # milestone (see ALERT_* in leaddash.core.sla_state): 0 nothing, 1 warning, 2 breach,
    # 2 + k the k-th escalation.
    touch_warn_at: datetime | None = None
    decision_warn_at: datetime | None = None
    touch_alert_step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    decision_alert_step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Who held the lead when a milestone's deadline passed unreached, kept when it is
    # reassigned (a breach stays with the owner at the time; leaddash.queue.team).
    touch_missed_by_id: int | None = None
    decision_missed_by_id: int | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    amount: float | None = None
    # Loaded from a CRM's history: its stages came from the file, so neither the import nor
    # a later definition qualifies it (history is never re-qualified under today's rules).
    is_history: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    updated_at: datetime = Field(default_factory=utcnow)


class Activity(SQLModel, table=True):
    """A marketing engagement (form fill, web visit, webinar …) that feeds the score."""

    __table_args__ = (Index("ix_activity_lead_time", "lead_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    type: str = Field(max_length=40)
    occurred_at: datetime
    detail: str | None = Field(default=None, max_length=500)


class Touch(SQLModel, table=True):
    """A rep's attempt to reach a lead (call, email, meeting), which the SLA measures."""

    __table_args__ = (Index("ix_touch_lead_time", "lead_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    channel: str = Field(max_length=16)
    occurred_at: datetime = Field(default_factory=utcnow)
    note: str | None = None
    # A TouchOutcome; NULL (unknown) for touches logged before outcomes were asked.
    outcome: str | None = Field(default=None, max_length=16)


class AppSetting(SQLModel, table=True):
    """One setting an admin keeps for the whole app (key and text value), e.g. the URL
    template of a lead's CRM record."""

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# The reason code of the event that undoes a decision within seconds of it: the lead goes
# back to the stage it left, in the same pass (it is not a requalification).
UNDONE_REASON = "undone"


class StageEvent(SQLModel, table=True):
    """Append-only record of one stage change; funnels are computed from these."""

    __table_args__ = (
        Index("ix_stageevent_lead_time", "lead_id", "occurred_at"),
        Index("ix_stageevent_to_time", "to_stage", "occurred_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    reason_code: str | None = Field(default=None, max_length=40)
    note: str | None = None
    definition_version_id: int | None = Field(
        default=None, foreign_key="agreementversion.id", index=True
    )
    # False for a stage a CRM export gave without its date (an open deal's current stage):
    # the lead reached it, and `occurred_at` only places it after the row's dated events.
    time_known: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class Dispute(OptimisticLock, table=True):
    """Marketing's challenge of a rejection or disqualification, resolved by a sales leader."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    event_id: int = Field(foreign_key="stageevent.id", index=True)
    status: str = Field(default=DisputeStatus.OPEN, max_length=16, index=True)
    raised_by_id: int = Field(foreign_key="app_user.id")
    raised_at: datetime = Field(default_factory=utcnow)
    marketing_note: str
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    resolved_at: datetime | None = None
    resolution_note: str | None = None


class RoutingRule(OptimisticLock, table=True):
    """Sends matching MQLs to a team; the lowest priority number that matches wins."""

    id: int | None = Field(default=None, primary_key=True)
    priority: int = Field(default=100)
    segment: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=80)
    min_employees: int | None = None
    max_employees: int | None = None
    team_id: int = Field(foreign_key="team.id", index=True)
    is_active: bool = Field(default=True)


class ImportBatch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    filename: str = Field(max_length=255)
    imported_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    started_at: datetime = Field(default_factory=utcnow)
    rows_total: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_skipped: int = 0


class AuditLog(SQLModel, table=True):
    """Who did what, when, with the values before and after."""

    __table_args__ = (Index("ix_auditlog_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    action: str = Field(max_length=80)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    before: dict | None = Field(default=None, sa_column=Column(JSONType))
    after: dict | None = Field(default=None, sa_column=Column(JSONType))


class DataVersion(SQLModel, table=True):
    """A counter bumped by every write, so caches in any process know to refresh."""

    scope: str = Field(primary_key=True, max_length=40)
    counter: int = Field(default=0)


class LoginSession(SQLModel, table=True):
    """One login: the digest of its cookie token (HMAC-SHA-256 under the cookie key; the
    token itself is never kept), whose it is, when it was last used and, once ended (logout,
    password reset, deactivation, role or team change, an admin's "end logins"), when and
    why in the words its owner reads. A login unused for the idle limit has ended too."""

    __table_args__ = (Index("ix_loginsession_user_id_ended_at", "user_id", "ended_at"),)
    token_sha256: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id")
    address: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_reason: str | None = Field(default=None, max_length=80)


class LoginFailure(SQLModel, table=True):
    """One failed login for a username from a client address, kept while it counts toward
    the login throttle."""

    __table_args__ = (
        Index("ix_loginfailure_username_failed_at", "username", "failed_at"),
        Index("ix_loginfailure_address_failed_at", "address", "failed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    address: str | None = Field(default=None, max_length=64)
    failed_at: datetime


from leaddash.fact_tables import LeadPass  # noqa: E402, F401  (registers the fact tables)
from leaddash.notify_tables import Notification  # noqa: E402, F401  (registers the notify tables)
