"""Making inquiries MQLs in bulk: SLA deadlines, the stage change and its events.

What rescoring (on activation) and qualification (after an import) share. Every promoted
lead gets the same moment and deadlines, so one UPDATE per chunk of ids does the work on
both databases; RETURNING says which leads really were still inquiries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    DateTime,
    insert,
    literal,
    select,
    update,
)
from sqlmodel import Session

from leaddash.agreements import active_version
from leaddash.id_sets import among, id_chunks
from leaddash.models import AgreementKind, Lead, Stage, StageEvent, table_of
from leaddash.sla import business_days_deadline, business_deadline

LEAD_COLUMNS = Lead.__table__.c  # type: ignore[attr-defined]
Deadlines = tuple[datetime | None, datetime | None]


def sla_calendar(session: Session) -> dict:
    """Return the business calendar of the active SLA ({} when no SLA is active)."""
    sla = active_version(session, AgreementKind.SLA)
    return (sla.content.get("calendar") or {}) if sla else {}


def mql_deadlines(session: Session, at: datetime) -> Deadlines:
    """Return the first-touch and decision deadlines of an MQL made at `at` under the
    active SLA, or (None, None) when no SLA is active."""
    sla = active_version(session, AgreementKind.SLA)
    sales = (sla.content.get("sales") or {}) if sla else {}
    calendar = (sla.content.get("calendar") or {}) if sla else {}
    touch = sales.get("first_touch_hours")
    decide = sales.get("decision_days")
    return (
        business_deadline(at, float(touch), calendar) if touch is not None else None,
        business_days_deadline(at, int(decide), calendar) if decide is not None else None,
    )


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
                touch_due_at=due[0],
                decision_due_at=due[1],
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
