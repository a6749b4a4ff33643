"""Audit trail: every ORM write leaves a row with who, when, what, before and after.

The listener runs after each flush on the same transaction, so an audit row exists exactly
when the change it describes is committed. Bulk writes (imports, demo data) call `record`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from leaddash.core.actor import Actor
from leaddash.models import AuditLog, DataVersion, utcnow

# A chat webhook's URL is its secret: whoever has it may post to the channel.
SECRET_COLUMNS = {"password_hash", "url"}
NOT_AUDITED = {AuditLog, DataVersion}
DATA_SCOPE = "all"


def act_as(session: Session, actor: Actor | None, action: str | None = None) -> None:
    """Tag the session's following writes with the acting user and the action name."""
    session.info["actor_id"] = actor.id if actor else None
    session.info["action"] = action


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)


def _shown(column: str, value: Any) -> Any:
    return "***" if column in SECRET_COLUMNS else _plain(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: _shown(c.key, getattr(obj, c.key)) for c in mapper.column_attrs}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes() and attr.key != "version":
            before[attr.key] = _shown(attr.key, history.deleted[0] if history.deleted else None)
            after[attr.key] = _shown(attr.key, history.added[0] if history.added else None)
    return before, after


def _row(session: Session, obj: Any, op: str, before: Any, after: Any) -> dict[str, Any]:
    entity = type(obj).__tablename__
    return {
        "occurred_at": utcnow(),
        "actor_id": session.info.get("actor_id"),
        "action": session.info.get("action") or f"{entity}.{op}",
        "entity": entity,
        "entity_id": getattr(obj, "id", None),
        "before": before,
        "after": after,
    }


def _audit_rows(session: Session) -> list[dict[str, Any]]:
    rows = [
        _row(session, obj, "create", None, _snapshot(obj))
        for obj in session.new
        if type(obj) not in NOT_AUDITED
    ]
    for obj in session.dirty:
        if type(obj) not in NOT_AUDITED and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                rows.append(_row(session, obj, "update", before, after))
    rows.extend(
        _row(session, obj, "delete", _snapshot(obj), None)
        for obj in session.deleted
        if type(obj) not in NOT_AUDITED
    )
    return rows


def bump_data_version(session: Session) -> None:
    """Advance the shared data-version counter so every process's caches refresh."""
    conn = session.connection()
    table = DataVersion.__table__  # type: ignore[attr-defined]
    result = conn.execute(
        update(table).where(table.c.scope == DATA_SCOPE).values(counter=table.c.counter + 1)
    )
    if result.rowcount == 0:
        conn.execute(insert(table).values(scope=DATA_SCOPE, counter=1))


def current_data_version(session: Session) -> int:
    """Return the shared data-version counter (0 before the first write)."""
    table = DataVersion.__table__  # type: ignore[attr-defined]
    found = (
        session.connection()
        .execute(select(table.c.counter).where(table.c.scope == DATA_SCOPE))
        .scalar()
    )
    return int(found or 0)


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _context: Any) -> None:
    rows = _audit_rows(session)
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)  # type: ignore[attr-defined]
        session.info["data_changed"] = True


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    # The shared counter row is locked last, just before commit, so every writer takes
    # its locks in the same order and none can deadlock on it.
    session.flush()
    if session.info.pop("data_changed", False):
        bump_data_version(session)


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit row by hand (for bulk writes that bypass the ORM)."""
    session.connection().execute(
        insert(AuditLog.__table__),  # type: ignore[attr-defined]
        [
            {
                "occurred_at": utcnow(),
                "actor_id": actor.id if actor else None,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": before,
                "after": after,
            }
        ],
    )
    bump_data_version(session)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("data_changed", None)
