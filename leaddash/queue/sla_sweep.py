"""The SLA sweep: which open leads just passed a warning point, a deadline or a step of the
escalation ladder, told once each (docs/metrics.md, "SLA alerts").

Each milestone of a lead carries the step the sweep has told (`touch_alert_step`,
`decision_alert_step`: 0 nothing, 1 warning, 2 breach, 2 + k the k-th escalation; the
ladder is the first touch's only). A pass finds the leads whose step is behind the moment,
moves each straight to its latest step (a sweep that was down does not replay the steps it
missed) and returns one `SlaAlert` per lead and milestone moved. The caller writes the
notifications and commits them with the steps, in one transaction.

Two sweeps at once never tell the same step twice: a step moves by a conditional UPDATE
(`... WHERE step = the step read`), and only the rows that UPDATE changed give alerts. On
PostgreSQL the second sweep's UPDATE waits for the first's row locks and then sees the new
step; on SQLite writers take turns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import and_, bindparam, or_, select, update
from sqlmodel import Session

from leaddash.agreements import active_version
from leaddash.audit import act_as
from leaddash.core.sla_state import (
    ALERT_BREACH,
    ALERT_WARNING,
    DECISION,
    FIRST_TOUCH,
    Milestone,
)
from leaddash.core.times import as_utc
from leaddash.documents.sla import SlaTerms
from leaddash.facts.refresh import refresh_facts
from leaddash.id_sets import among, id_chunks
from leaddash.models import OPEN_STAGES, AgreementKind, Lead, table_of
from leaddash.notify.hooks import notify_sla_alert
from leaddash.sla import business_deadline, read_sla, warning_point

LEADS = Lead.__table__.c  # type: ignore[attr-defined]
RETURN_ACTION = "lead.sla_return"
AlertKind = Literal["warning", "breach", "escalation"]


@dataclass(frozen=True)
class SlaAlert:
    """One step told about one lead's milestone: `step` is the lead's alert step now (1
    warning, 2 breach, 2 + k the k-th escalation); owner and team as they were when it was
    told (an escalation that put the lead back in its team's queue names the former owner)."""

    lead_id: int
    milestone: Milestone
    kind: AlertKind
    step: int
    owner_id: int | None
    team_id: int | None
    due_at: datetime
    lead_name: str


@dataclass(frozen=True)
class DueStep:
    """A lead's milestone whose alert step is behind: from `old` to `new`."""

    lead_id: int
    milestone: Milestone
    old: int
    new: int


@dataclass(frozen=True)
class Ladder:
    """The columns of one milestone and the escalation hours after its breach."""

    milestone: Milestone
    step: Any
    due: Any
    warn: Any
    reached: Any
    hours: tuple[float, ...]

    @property
    def last(self) -> int:
        """Return the last step of this ladder."""
        return ALERT_BREACH + len(self.hours)


def ladders(terms: SlaTerms) -> tuple[Ladder, Ladder]:
    """Return the first-touch ladder (with the SLA's escalation) and the decision's."""
    hours = tuple(float(h) for h in terms.sales.escalation.after_breach_hours)
    return (
        Ladder(
            FIRST_TOUCH,
            LEADS.touch_alert_step,
            LEADS.touch_due_at,
            LEADS.touch_warn_at,
            LEADS.first_touch_at,
            hours,
        ),
        Ladder(
            DECISION,
            LEADS.decision_alert_step,
            LEADS.decision_due_at,
            LEADS.decision_warn_at,
            LEADS.decided_at,
            (),
        ),
    )


def kind_of(step: int) -> AlertKind:
    """Return what alert step `step` tells: a warning, a breach or an escalation."""
    if step == ALERT_WARNING:
        return "warning"
    return "breach" if step == ALERT_BREACH else "escalation"


def active_terms(session: Session) -> tuple[SlaTerms, dict[str, Any]] | None:
    """Return the active SLA's terms and calendar (None when no SLA is active)."""
    sla = active_version(session, AgreementKind.SLA)
    if sla is None:
        return None
    return read_sla(sla.content), sla.content.get("calendar") or {}


def sweep(session: Session, now: datetime) -> list[SlaAlert]:
    """Return the SLA alerts due at `now`, with each lead's alert step advanced in the
    caller's transaction (not committed); at the last escalation step, with
    `return_to_team_queue`, the lead is also put back in its team's queue."""
    found = active_terms(session)
    if found is None:
        return []
    terms, calendar = found
    fill_warning_points(session, terms, calendar)
    alerts = advance_steps(session, find_due_steps(session, as_utc(now)))
    if terms.sales.escalation.return_to_team_queue and terms.sales.escalation.after_breach_hours:
        last = ladders(terms)[0].last
        return_to_team_queue(
            session, [a for a in alerts if a.milestone == FIRST_TOUCH and a.step == last], now
        )
    return alerts


def _open_and_unreached(ladder: Ladder) -> list[Any]:
    return [LEADS.stage.in_([s.value for s in OPEN_STAGES]), ladder.reached.is_(None)]


def fill_warning_points(session: Session, terms: SlaTerms, calendar: dict[str, Any]) -> int:
    """Return how many missing warning points of open leads were computed and stored (for
    leads that became MQLs before warning points were kept)."""
    filled = 0
    for ladder in ladders(terms):
        found = session.connection().execute(missing_warning_query(ladder)).all()
        frame = pd.DataFrame(found, columns=["id", "at", "due"])
        if frame.empty:
            continue
        points = warning_point(
            pd.to_datetime(frame["at"], utc=True),
            pd.to_datetime(frame["due"], utc=True),
            terms.sales.warning_share,
            calendar,
        )
        statement = (
            update(table_of(Lead))
            .where(LEADS.id == bindparam("b_id"))
            .values({ladder.warn.name: bindparam("b_warn")})
        )
        rows = [
            {"b_id": int(i), "b_warn": p.to_pydatetime()}
            for i, p in zip(frame["id"], points, strict=True)
        ]
        session.connection().execute(statement, rows)
        filled += len(rows)
    return filled


def missing_warning_query(ladder: Ladder) -> Any:
    """Return the query of open leads whose milestone has a deadline but no warning point."""
    # A lead past step 0 was told of a passed warning point, so it has one: step 0 keeps
    # the search inside the sweep's index.
    return select(LEADS.id, LEADS.mql_at, ladder.due).where(
        *_open_and_unreached(ladder),
        ladder.step == 0,
        ladder.warn.is_(None),
        ladder.due.is_not(None),
        LEADS.mql_at.is_not(None),
    )


def find_due_steps(session: Session, now: datetime) -> list[DueStep]:
    """Return the milestones of open leads whose alert step is behind `now` (read only)."""
    found = active_terms(session)
    if found is None:
        return []
    terms, calendar = found
    steps: list[DueStep] = []
    for ladder in ladders(terms):
        steps += _behind(session, ladder, as_utc(now), calendar)
    return steps


def due_step_query(ladder: Ladder, now: datetime) -> Any:
    """Return the query of leads that may be behind: the warning point passed and, for a
    step past the warning, the deadline (plus, for an escalation, at least its hours on
    the wall clock: business hours never pass faster)."""
    waiting = [ladder.step == 0, and_(ladder.step == ALERT_WARNING, ladder.due < now)]
    waiting += [
        and_(ladder.step == ALERT_BREACH + k, ladder.due <= now - timedelta(hours=h))
        for k, h in enumerate(ladder.hours)
    ]
    return select(LEADS.id, ladder.step, ladder.warn, ladder.due).where(
        *_open_and_unreached(ladder),
        ladder.step.in_(list(range(ladder.last))),  # one index range per step
        ladder.warn <= now,
        or_(*waiting),
    )


def _behind(
    session: Session, ladder: Ladder, now: datetime, calendar: dict[str, Any]
) -> list[DueStep]:
    rows = session.connection().execute(due_step_query(ladder, now)).all()
    frame = pd.DataFrame(rows, columns=["id", "step", "warn", "due"])
    if frame.empty:
        return []
    due = pd.to_datetime(frame["due"], utc=True)
    stamp = pd.Timestamp(now)
    target = pd.Series(ALERT_WARNING, index=frame.index).where(due >= stamp, ALERT_BREACH)
    for k, hours in enumerate(ladder.hours, start=1):
        point = business_deadline(due, hours, calendar)
        target = target.where(~(point <= stamp), ALERT_BREACH + k)
    behind = frame[target > frame["step"]]
    return [
        DueStep(int(i), ladder.milestone, int(old), int(new))
        for i, old, new in zip(behind["id"], behind["step"], target[behind.index], strict=True)
    ]


def advance_steps(session: Session, steps: Sequence[DueStep]) -> list[SlaAlert]:
    """Return the alerts of the steps this session really moved: each lead moves from the
    step read to the new one only if no one moved it in between (still open, unreached)."""
    found = active_terms(session)
    if found is None or not steps:
        return []
    by_ladder = {ladder.milestone: ladder for ladder in ladders(found[0])}
    groups: dict[tuple[Milestone, int, int], list[int]] = defaultdict(list)
    for step in steps:
        groups[(step.milestone, step.old, step.new)].append(step.lead_id)
    alerts: list[SlaAlert] = []
    for (milestone, old, new), ids in sorted(groups.items()):
        alerts += _move(session, by_ladder[milestone], old, new, ids)
    return sorted(alerts, key=lambda a: (a.lead_id, a.milestone))


def _move(session: Session, ladder: Ladder, old: int, new: int, ids: list[int]) -> list[SlaAlert]:
    alerts: list[SlaAlert] = []
    for chunk in id_chunks(ids):
        still = [ladder.step == old, *_open_and_unreached(ladder)]
        # Rows are locked in id order (PostgreSQL), as every writer of several leads does,
        # so a sweep and a bulk reassignment never hold each other's next row.
        locked = (
            select(LEADS.id)
            .where(among(session, LEADS.id, chunk), *still)
            .order_by(LEADS.id)
            .with_for_update()
        )
        statement = (
            update(table_of(Lead))
            .where(LEADS.id.in_(locked.scalar_subquery()), *still)
            .values({ladder.step.name: new})
            .returning(
                LEADS.id,
                LEADS.owner_id,
                LEADS.team_id,
                ladder.due,
                LEADS.first_name,
                LEADS.last_name,
                LEADS.company,
            )
        )
        rows = session.connection().execute(statement).all()
        alerts += [_alert(ladder.milestone, new, row) for row in rows]
    return alerts


def _alert(milestone: Milestone, step: int, row: Any) -> SlaAlert:
    return SlaAlert(
        lead_id=row.id,
        milestone=milestone,
        kind=kind_of(step),
        step=step,
        owner_id=row.owner_id,
        team_id=row.team_id,
        due_at=as_utc(row[3]),
        lead_name=_name(row.first_name, row.last_name, row.company, row.id),
    )


def _name(first: str | None, last: str | None, company: str | None, lead_id: int) -> str:
    """Return how messages name a lead (as leaddash.queue.core.lead_name does)."""
    return f"{first or ''} {last or ''}".strip() or company or f"Lead #{lead_id}"


def return_to_team_queue(session: Session, alerts: Sequence[SlaAlert], now: datetime) -> list[int]:
    """Return the ids of the leads of `alerts` put back in their team's queue, unassigned
    (still open, untouched, owned, in a team), each with its audit row and facts."""
    info = dict(session.info)
    act_as(session, None, RETURN_ACTION)
    moved: list[int] = []
    for alert in sorted(alerts, key=lambda a: a.lead_id):  # one lock order for everyone
        lead = session.get(Lead, alert.lead_id, with_for_update=True, populate_existing=True)
        if lead is None or not _returnable(lead):
            continue
        lead.owner_id, lead.assigned_at, lead.updated_at = None, None, as_utc(now)
        session.add(lead)
        moved.append(alert.lead_id)
    session.flush()
    refresh_facts(session, lead_ids=moved)
    session.info["actor_id"], session.info["action"] = info.get("actor_id"), info.get("action")
    return moved


def _returnable(lead: Lead) -> bool:
    return (
        lead.stage in OPEN_STAGES
        and lead.first_touch_at is None
        and lead.owner_id is not None
        and lead.team_id is not None
    )


def alert_job(session: Session, now: datetime) -> int:
    """Return the outbox rows written for this pass's SLA alerts: the sweep advances each
    lead's alert steps and the notifications go in the same transaction, so an alert is
    either stepped and queued for sending, or neither."""
    return sum(notify_sla_alert(session, **asdict(alert), now=now) for alert in sweep(session, now))
