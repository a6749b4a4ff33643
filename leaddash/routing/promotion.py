"""Making inquiries MQLs in bulk: SLA deadlines, the stage change and its events.

What rescoring (on activation) and qualification (after an import) share. Every promoted
lead gets the same moment and deadlines, so one UPDATE per chunk of ids does the work on
both databases; RETURNING says which leads really were still inquiries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    DateTime,
    insert,
    literal,
    select,
    update,
)
from sqlmodel import Session

from leaddash.agreements import active_version
from leaddash.documents.sla import DEFAULT_WARNING_SHARE
from leaddash.id_sets import among, id_chunks
from leaddash.models import AgreementKind, Lead, Stage, StageEvent, table_of
from leaddash.sla import business_days_deadline, business_deadline, warning_point

LEAD_COLUMNS = Lead.__table__.c  # type: ignore[attr-defined]


class Deadlines(NamedTuple):
    """The SLA points of an MQL: its first-touch and decision deadlines and the warning
    point of each (all None when no SLA is active)."""

    touch_due: datetime | None
    decision_due: datetime | None
    touch_warn: datetime | None = None
    decision_warn: datetime | None = None


NO_DEADLINES = Deadlines(None, None)


def sla_calendar(session: Session) -> dict:
    """Return the business calendar of the active SLA ({} when no SLA is active)."""
    sla = active_version(session, AgreementKind.SLA)
    return (sla.content.get("calendar") or {}) if sla else {}


def mql_deadlines(session: Session, at: datetime) -> Deadlines:
    """Return the deadlines and warning points of an MQL made at `at` under the active
    SLA (all None when no SLA is active)."""
    sla = active_version(session, AgreementKind.SLA)
    if sla is None:
        return NO_DEADLINES
    return deadlines_under(sla.content, at)


def deadlines_under(content: dict[str, Any], at: datetime) -> Deadlines:
    """Return the deadlines and warning points of an MQL made at `at` under the SLA terms
    `content` (a term the SLA lacks gives None)."""
    sales, calendar = content.get("sales") or {}, content.get("calendar") or {}
    touch, decide = sales.get("first_touch_hours"), sales.get("decision_days")
    share = float(sales.get("warning_share") or DEFAULT_WARNING_SHARE)
    touch_due = business_deadline(at, float(touch), calendar) if touch is not None else None
    decision_due = business_days_deadline(at, int(decide), calendar) if decide is not None else None
    return Deadlines(
        touch_due,
        decision_due,
        warning_point(at, touch_due, share, calendar),
        warning_point(at, decision_due, share, calendar),
    )


def reassigned_touch_deadline(
    content: dict[str, Any], at: datetime
) -> tuple[datetime | None, datetime | None]:
    """Return the first-touch deadline and its warning point of an untouched lead handed
    to a new owner at `at` under the SLA terms `content`: the window is the SLA's
    `reassigned_touch_hours` (its `first_touch_hours` when it sets none), from `at`."""
    sales, calendar = content.get("sales") or {}, content.get("calendar") or {}
    hours = sales.get("reassigned_touch_hours") or sales.get("first_touch_hours")
    if hours is None:
        return None, None
    share = float(sales.get("warning_share") or DEFAULT_WARNING_SHARE)
    due = business_deadline(at, float(hours), calendar)
    return due, warning_point(at, due, share, calendar)


def promote_to_mql(
    session: Session,
    ids: Sequence[int],
    *,
    version_id: int,
    at: datetime,
    due: Deadlines,
    note: str,
    sample: bool = False,
) -> list[int]:
    """Return the ids, among `ids`, of the inquiries made MQLs of definition `version_id`
    at `at` (stamped, with deadlines and a stage event each; `sample` marks them as the
    below-threshold sample)."""
    promoted: list[int] = []
    for chunk in id_chunks(ids):
        statement = (
            update(table_of(Lead))
            .where(among(session, LEAD_COLUMNS.id, chunk), LEAD_COLUMNS.stage == Stage.INQUIRY)
            .values(
                stage=Stage.MQL,
                stage_changed_at=at,
                mql_at=at,
                updated_at=at,
                definition_version_id=version_id,
                is_sample=sample,
                touch_due_at=due.touch_due,
                decision_due_at=due.decision_due,
                touch_warn_at=due.touch_warn,
                decision_warn_at=due.decision_warn,
                touch_alert_step=0,
                decision_alert_step=0,
                version=LEAD_COLUMNS.version + 1,
            )
            .returning(LEAD_COLUMNS.id)
        )
        done = session.connection().execute(statement).scalars().all()
        _write_events(session, done, version_id, at, note)
        promoted += done
    return sorted(promoted)


def _write_events(
    session: Session, ids: Sequence[int], version_id: int, at: datetime, note: str
) -> None:
    """Insert the inquiry → mql event of each lead in `ids`, selected from the leads in
    one statement (no parameter set per row)."""
    if not ids:
        return
    values = [
        LEAD_COLUMNS.id,
        literal(Stage.INQUIRY.value),
        literal(Stage.MQL.value),
        literal(at, DateTime(timezone=True)),
        literal(note),
        literal(version_id),
    ]
    rows = select(*values).where(among(session, LEAD_COLUMNS.id, ids))
    session.connection().execute(
        insert(StageEvent.__table__).from_select(  # type: ignore[attr-defined]
            ["lead_id", "from_stage", "to_stage", "occurred_at", "note", "definition_version_id"],
            rows,
        )
    )


def forget_loaded_leads(session: Session) -> None:
    """Expire the Lead rows this session holds: bulk UPDATEs bypass them."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Lead):
            session.expire(obj)
