"""The leads behind an SLA number: which lead, rep and team, the deadline, how late.

Open breaches (untouched, no decision) are judged at `now`; lateness is in business hours
of the active SLA's calendar, the hours the SLA itself is written in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, literal, null, or_
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import decision_at, first_passes, is_mql, touched_at
from leaddash.analytics.sla import closed_unreached, sla_terms
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import lead_name_sql
from leaddash.errors import InvalidInput
from leaddash.models import Lead, Team, User, utcnow
from leaddash.sla import business_hours_between

BREACH_KINDS = ("late_touch", "untouched", "late_decision", "no_decision", "too_few_attempts")
BREACH_COLUMNS = [
    "lead_id",
    "pass_no",
    "name",
    "company",
    "rep",
    "team",
    "kind",
    "deadline",
    "done_at",
    "late_hours",
    "attempts",
]
DEFAULT_LIMIT = 500
UTC_NS = "datetime64[ns, UTC]"


def _kind(session: Session, kind: str, now: datetime, min_attempts: int) -> tuple[Any, Any, Any]:
    """Return (the WHERE clause, the deadline, when it was done) of one kind of breach."""
    touched, decided = touched_at(), decision_at()
    touch_due, decision_due = PASSES.touch_due_at, PASSES.decision_due_at
    if kind == "late_touch":
        return touched > touch_due, touch_due, touched
    if kind == "untouched":
        return and_(touched.is_(None), touch_due < now), touch_due, null()
    if kind == "late_decision":
        return decided > decision_due, decision_due, decided
    if kind == "no_decision":
        return and_(decided.is_(None), decision_due < now), decision_due, null()
    short = and_(closed_unreached(session), PASSES.attempts < min_attempts)
    return short, null(), PASSES.exit_at


def _who_missed(kind: str, deadline: Any) -> Any:
    """Return (SQL) the user a breach belongs to: the pass's owner, unless the lead was
    reassigned (or put back in a team queue) after the deadline passed, when it stays
    with the owner at the time."""
    kept = Lead.touch_missed_by_id if kind in ("late_touch", "untouched") else None
    if kind in ("late_decision", "no_decision"):
        kept = Lead.decision_missed_by_id
    if kept is None:
        return PASSES.owner_id
    handed_on = or_(PASSES.owner_id.is_(None), PASSES.assigned_at > deadline)
    later = and_(handed_on, col(kept).is_not(None))
    return case((later, kept), else_=PASSES.owner_id)


def breaches(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    kind: str,
    now: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Return the MQL passes in one kind of SLA breach, oldest deadline (or close) first, at
    most `limit`: lead, rep, team, deadline, when it was done, business hours late."""
    verify_actor(session, actor)
    if kind not in BREACH_KINDS:
        raise InvalidInput(
            f"Unknown kind of breach {kind!r}: use one of {', '.join(BREACH_KINDS)}.", field="kind"
        )
    now, terms = now or utcnow(), sla_terms(session)
    where, deadline, done = _kind(session, kind, now, int(terms["sales"]["min_attempts"]))
    order = [func.coalesce(deadline, done), PASSES.lead_id, PASSES.pass_no]
    columns: list[Any] = [
        PASSES.lead_id,
        PASSES.pass_no,
        lead_name_sql(),
        Lead.company,
        User.name,
        Team.name,
        literal(kind),
        deadline.label("deadline"),
        done.label("done_at"),
        PASSES.attempts,
    ]
    query = (
        select(*columns)
        .join(Lead, Lead.id == PASSES.lead_id, isouter=True)
        .join(User, User.id == _who_missed(kind, deadline), isouter=True)
        .join(Team, Team.id == PASSES.team_id, isouter=True)
        .where(first_passes([where, is_mql(), *pass_clauses(actor, filters)], order, limit))
        .order_by(*order)
    )
    columns = [c for c in BREACH_COLUMNS if c != "late_hours"]
    frame = pd.DataFrame(session.exec(query).all(), columns=columns)
    return _with_lateness(frame, now, terms["calendar"])


def _with_lateness(frame: pd.DataFrame, now: datetime, calendar: dict[str, Any]) -> pd.DataFrame:
    for column in ("deadline", "done_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(UTC_NS)
    frame["rep"] = frame["rep"].fillna("Unassigned")
    frame["team"] = frame["team"].fillna("No team")
    until = frame["done_at"].fillna(pd.Timestamp(now).as_unit("ns"))
    frame["late_hours"] = business_hours_between(frame["deadline"], until, calendar).round(2)
    return frame[BREACH_COLUMNS]
