"""Stale saves: refuse them and say who changed the version, when, and what they changed.

Every ORM update of a version bumps its `version` column by one and leaves exactly one
audit row, so the state the caller saw (`expected_version`) is the version's creation
snapshot plus its first `expected_version - 1` updates. What the caller missed is the
difference between that state and the current row. When the audit trail does not reach
back (rows written in bulk), the caller's own content is compared with the current one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from leaddash.agreements.diff import Change, describe_change, diff_contents
from leaddash.agreements.store import version_label
from leaddash.core.names import user_names
from leaddash.core.times import as_utc, format_utc
from leaddash.errors import Conflict
from leaddash.models import AgreementVersion, AuditLog

AUDIT_ENTITY = AgreementVersion.__tablename__
FIELDS = ("title", "status", "next_review_on")
MAX_SHOWN = 5


class EditConflict(Conflict):
    """Someone changed the version first: `changed_by`, `changed_at` and `changes` say how."""

    def __init__(
        self, message: str, *, changed_by: str, changed_at: datetime, changes: list[Change]
    ) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changes = changes


def check_current(
    session: Session,
    version: AgreementVersion,
    expected_version: int,
    attempted: dict[str, Any] | None = None,
) -> None:
    """Raise EditConflict unless the version is still the one the caller saw."""
    if version.version == expected_version:
        return
    base, missed = _history(session, version, expected_version)
    changes = _changes(base, version, attempted)
    who, when = _who_and_when(session, version, missed)
    raise EditConflict(
        _message(version, who, when, changes), changed_by=who, changed_at=when, changes=changes
    )


def _history(
    session: Session, version: AgreementVersion, expected_version: int
) -> tuple[dict[str, Any] | None, list[AuditLog]]:
    rows = list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.entity == AUDIT_ENTITY, AuditLog.entity_id == version.id)
            .order_by(col(AuditLog.id))
        ).all()
    )
    if not rows or rows[0].before is not None or not rows[0].after:
        return None, []
    seen = expected_version - int(rows[0].after.get("version") or 1) + 1
    if not 1 <= seen <= len(rows):
        return None, []
    state: dict[str, Any] = {}
    for row in rows[:seen]:
        state.update(row.after or {})
    return state, rows[seen:]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _changes(
    base: dict[str, Any] | None, version: AgreementVersion, attempted: dict[str, Any] | None
) -> list[Change]:
    if base is None:
        return diff_contents(attempted, version.content) if attempted is not None else []
    fields = [
        Change(f, base.get(f), _plain(getattr(version, f)))
        for f in FIELDS
        if base.get(f) != _plain(getattr(version, f))
    ]
    return fields + diff_contents(base.get("content") or {}, version.content)


def _who_and_when(
    session: Session, version: AgreementVersion, missed: list[AuditLog]
) -> tuple[str, datetime]:
    if not missed:
        names = user_names(session, [version.updated_by_id])
        return names.get(version.updated_by_id or 0, "Someone"), as_utc(version.updated_at)
    ids = list(dict.fromkeys(row.actor_id for row in missed))
    names = user_names(session, ids)
    who = [names.get(i or 0, "someone") for i in ids]
    text = who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]
    return text[:1].upper() + text[1:], as_utc(missed[-1].occurred_at)


def _message(version: AgreementVersion, who: str, when: datetime, changes: list[Change]) -> str:
    shown = "; ".join(describe_change(c) for c in changes[:MAX_SHOWN])
    if len(changes) > MAX_SHOWN:
        shown += f"; and {len(changes) - MAX_SHOWN} more"
    what = f": {shown}" if changes else ""
    return (
        f"{who} changed {version_label(version)} on {format_utc(when)}, after you opened "
        f"it{what}. Nothing was saved. Reload to see their version, then make your change "
        "again."
    )
