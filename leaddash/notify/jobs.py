"""The periodic jobs the worker runs on each pass, before it sends: each takes (session,
now), writes to the outbox in that session, and is idempotent through its dedupe keys, so a
pass repeated (or run by a second worker after a lease change) writes nothing twice.

The worker (`leaddash.worker.PERIODIC_JOBS`) runs these after the SLA sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from leaddash.agreements.reads import active_version
from leaddash.auth import CLI_ACTOR
from leaddash.core.lead_sql import current_sla_state_sql
from leaddash.core.sla_state import WARNING
from leaddash.core.times import as_utc
from leaddash.models import OPEN_STAGES, AgreementKind, Lead, Role, User
from leaddash.notify.enqueue import notify
from leaddash.notify.events import Event
from leaddash.notify_tables import Notification
from leaddash.reports import build_review, last_full_month, render_html, session_reader
from leaddash.sla import business_deadline, default_sla_content

Job = Callable[[Session, datetime], object]
LEADER_ROLES = (Role.MARKETING_LEADER, Role.SALES_LEADER)
CADENCE_PERIODS: dict[str, Callable[[datetime], str]] = {
    "weekly": lambda d: f"{d.isocalendar().year}-W{d.isocalendar().week:02d}",
    "every two weeks": lambda d: f"{d.isocalendar().year}-F{d.isocalendar().week // 2:02d}",
    "monthly": lambda d: f"{d:%Y-%m}",
    "quarterly": lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}",
}


def sla_terms(session: Session) -> dict[str, Any]:
    """Return the active SLA's content (the starting SLA's when none is active yet)."""
    version = active_version(session, AgreementKind.SLA)
    return version.content if version and version.content else default_sla_content()


def in_business_hours(now: datetime, calendar: dict[str, Any]) -> bool:
    """Return True when `now` falls within the calendar's working hours."""
    return business_deadline(now, 0, calendar) == now


def already_written(session: Session, key: str) -> bool:
    """Return True when the outbox holds a row of the event keyed `key` (any recipient)."""
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
    found = session.exec(
        select(Notification.id).where(col(Notification.dedupe_key).like(pattern, escape="\\"))
    ).first()
    return found is not None


def team_counts(session: Session, now: datetime) -> dict[int, tuple[int, int]]:
    """Return per team id: (open leads past a deadline, open leads about to breach: their
    next deadline's warning point passed, the deadline not yet — the SLA's warning state)."""
    untouched = col(Lead.first_touch_at).is_(None)
    breached = or_(
        and_(untouched, col(Lead.touch_due_at) < now),
        and_(col(Lead.decided_at).is_(None), col(Lead.decision_due_at) < now),
    )
    soon = current_sla_state_sql(now) == WARNING
    rows = session.exec(
        select(
            Lead.team_id,
            func.sum(case((breached, 1), else_=0)),
            func.sum(case((and_(soon, ~breached), 1), else_=0)),
        )
        .where(col(Lead.stage).in_(OPEN_STAGES), col(Lead.team_id).is_not(None))
        .group_by(col(Lead.team_id))
    ).all()
    return {int(team): (int(b or 0), int(r or 0)) for team, b, r in rows if team is not None}


def daily_digest(session: Session, now: datetime) -> int:
    """Write each team manager's digest once per business day, at the first pass within
    business hours: their team's breached leads and leads at risk (none: no digest)."""
    calendar = sla_terms(session)["calendar"]
    if not in_business_hours(now, calendar):
        return 0
    day = as_utc(now).astimezone(ZoneInfo(calendar.get("timezone") or "UTC")).date()
    key = f"digest:{day.isoformat()}"
    if already_written(session, key):
        return 0
    managers = session.exec(
        select(User.id, User.team_id).where(
            User.role == Role.SALES_MANAGER, col(User.is_active), col(User.team_id).is_not(None)
        )
    ).all()
    counts = team_counts(session, now) if managers else {}
    written = 0
    for user_id, team_id in managers:
        breached, at_risk = counts.get(team_id or 0, (0, 0))
        if breached or at_risk:
            written += notify(
                session,
                event=Event.DAILY_DIGEST,
                user_ids=[user_id],
                subject=f"Your team today: {breached} breached, {at_risk} at risk",
                text=(
                    f"{breached} open leads of your team are past an SLA deadline and "
                    f"{at_risk} more are past their SLA warning point (about to breach). "
                    "Open the team queue to reassign or chase them."
                ),
                link="/team-queue",
                dedupe_key=key,
                now=now,
            )
    return written


def periodic_review(session: Session, now: datetime) -> int:
    """Write the review of the last full month to both sides' leaders once per period of
    the SLA's review cadence, at the first pass within business hours of the period."""
    terms = sla_terms(session)
    calendar = terms["calendar"]
    cadence = terms.get("review_cadence") or "monthly"
    period = CADENCE_PERIODS.get(cadence, CADENCE_PERIODS["monthly"])(as_utc(now))
    key = f"review:{period}"
    if not in_business_hours(now, calendar) or already_written(session, key):
        return 0
    leaders = [
        *session.exec(select(User.id).where(col(User.role).in_(LEADER_ROLES), col(User.is_active)))
    ]
    if not leaders:
        return 0
    month = last_full_month(now)
    report = build_review(session_reader(session, actor=CLI_ACTOR, now=now), month=month)
    return notify(
        session,
        event=Event.REVIEW,
        user_ids=leaders,
        subject=report.title,
        text="\n".join([f"The {cadence} lead review for {report.period} is ready.", *report.notes]),
        html=render_html(report),
        link="/review",
        dedupe_key=key,
        now=now,
    )
