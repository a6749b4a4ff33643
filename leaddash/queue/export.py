"""CSV exports for CRM sync: the team queue and the decisions taken on leads.

They are written by `leaddash.csv_safe.frame_to_csv`, as every CSV LeadDash writes: UTF-8
with a byte-order mark, times ISO 8601 in UTC, and a leading quote on any text cell a
spreadsheet would run as a formula (lead names, companies and notes come from outside).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.auth import TEAM_QUEUE, team_scope
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import lead_name_sql
from leaddash.csv_safe import frame_to_csv
from leaddash.errors import InvalidInput
from leaddash.models import AgreementVersion, Lead, Stage, StageEvent, Team, User
from leaddash.queue.team import NO_FILTER, QueueFilter, team_queue
from leaddash.reasons import reason_labels

DECISIONS = (Stage.VALIDATED, Stage.DISQUALIFIED, Stage.REJECTED, Stage.RECYCLED)
QUEUE_EXPORT_COLUMNS = [
    "lead_id",
    "name",
    "company",
    "team",
    "owner",
    "stage",
    "source",
    "segment",
    "score",
    "due_at",
    "due_kind",
    "overdue",
    "attempts",
    "is_sample",
]
DECISION_EXPORT_COLUMNS = [
    "lead_id",
    "external_id",
    "email",
    "name",
    "team",
    "decision",
    "reason_code",
    "reason",
    "note",
    "decided_by",
    "decided_at",
    "definition_version",
]

Decider = aliased(User)


def queue_csv(session: Session, *, actor: Actor, where: QueueFilter = NO_FILTER) -> bytes:
    """Return every lead of the team queue the actor sees (with `where`) as CSV bytes."""
    verify_actor(session, actor)
    frame = team_queue(session, actor=actor, where=where, limit=None)
    frame = frame.rename(columns={"id": "lead_id"})
    return frame_to_csv(frame[QUEUE_EXPORT_COLUMNS])


def _window(since: date, until: date) -> tuple[datetime, datetime]:
    if since > until:
        raise InvalidInput(
            f"The dates are the wrong way round: {since} is after {until}. "
            "Pick the first day, then the last.",
            field="since",
        )
    start = datetime.combine(since, time.min, tzinfo=UTC)
    return start, datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)


def decisions(
    session: Session, *, actor: Actor, since: date, until: date, team_id: int | None = None
) -> pd.DataFrame:
    """Return the validations, disqualifications, rejections and recycles taken from `since`
    to `until` (both included, UTC days) on the leads the actor sees, oldest first."""
    verify_actor(session, actor)
    team_id = team_scope(actor, TEAM_QUEUE, team_id)
    start, end = _window(since, until)
    clauses = [
        col(StageEvent.to_stage).in_(list(DECISIONS)),
        StageEvent.occurred_at >= start,
        StageEvent.occurred_at < end,
    ]
    if team_id is not None:
        clauses.append(Lead.team_id == team_id)
    columns: list[Any] = [
        Lead.id,
        Lead.external_id,
        Lead.email,
        lead_name_sql(),
        Team.name,
        StageEvent.to_stage,
        StageEvent.reason_code,
        StageEvent.reason_code,
        StageEvent.note,
        Decider.name,
        StageEvent.occurred_at,
        AgreementVersion.number,
    ]
    rows = session.exec(
        select(*columns)
        .join(Lead, Lead.id == StageEvent.lead_id)
        .join(Team, Team.id == Lead.team_id, isouter=True)
        .join(Decider, Decider.id == StageEvent.actor_id, isouter=True)
        .join(
            AgreementVersion, AgreementVersion.id == StageEvent.definition_version_id, isouter=True
        )
        .where(*clauses)
        .order_by(StageEvent.occurred_at, StageEvent.id)
    ).all()
    frame = pd.DataFrame(rows, columns=DECISION_EXPORT_COLUMNS)
    frame["reason"] = frame["reason"].map(reason_labels(session))
    frame["decided_at"] = pd.to_datetime(frame["decided_at"], utc=True)
    frame["definition_version"] = frame["definition_version"].astype("Int64")
    return frame


def decisions_csv(
    session: Session, *, actor: Actor, since: date, until: date, team_id: int | None = None
) -> bytes:
    """Return `decisions` as CSV bytes for CRM sync."""
    verify_actor(session, actor)
    return frame_to_csv(decisions(session, actor=actor, since=since, until=until, team_id=team_id))
