"""The audit trail as admins and the two leaders read it: who did what, when, to which
record, and what changed, newest first, a page at a time, and as a CSV file.

Pages are cut by id (keyset: "older than entry #n"), never by offset, so the hundredth page
of a table of millions of rows costs what the first does; the person and date filters use
the table's indexes. Secrets were masked when the row was written (leaddash.audit); they are
masked again here, so a row recorded by hand with one still shows ***.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.audit import SECRET_COLUMNS
from leaddash.core.actor import Actor
from leaddash.csv_safe import frame_to_csv
from leaddash.errors import InvalidInput
from leaddash.models import AuditLog, User

PERMISSION = "view_audit_trail"
REFUSED = "read the audit trail"
PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
NOBODY = 0  # the person filter's value for rows no user did (the system, the command line)
MASKED = SECRET_COLUMNS | {"token_sha256"}  # a login's digest identifies the login
MAX_SHOWN = 120  # characters of one value in the readable change; the CSV keeps the JSON

ACTION_WORDS: dict[str, str] = {
    "user.create": "Created a user",
    "user.update": "Changed a user",
    "user.activate": "Reactivated a user",
    "user.deactivate": "Deactivated a user",
    "user.set_password": "Set a password",
    "user.end_logins": "Ended a user's logins",
    "team.create": "Created a team",
    "routing_rule.create": "Added a routing rule",
    "routing_rule.update": "Changed a routing rule",
    "routing_rule.delete": "Deleted a routing rule",
    "rep.availability": "Changed a rep's availability",
    "notify.settings": "Changed the email settings",
    "notify.webhook.add": "Added a webhook",
    "notify.webhook.remove": "Removed a webhook",
    "notify.resend": "Resent a notification",
    "notify.preferences": "Changed notification choices",
    "login.throttled": "Blocked logins after failures",
    "lead.qualify": "Qualified leads",
    "lead.route": "Routed leads",
    "lead.assign_waiting": "Assigned waiting leads",
    "lead.reassign": "Reassigned a lead",
    "lead.accept": "Accepted a lead",
    "lead.log_attempt": "Logged a call attempt",
    "lead.validate": "Validated a lead",
    "lead.disqualify": "Disqualified a lead",
    "lead.reject": "Sent a lead back",
    "lead.recycle": "Recycled a lead",
    "lead.sla_return": "Returned a late lead to its team queue",
    "dispute.raise": "Disputed a decision",
    "dispute.uphold": "Upheld a dispute's decision",
    "dispute.overturn": "Overturned a decision",
    "agreement.create_draft": "Started a draft",
    "agreement.edit": "Edited a draft",
    "agreement.propose": "Proposed a version",
    "agreement.sign": "Signed a version",
    "agreement.activate": "Put a version in force",
    "agreement.withdraw_signature": "Withdrew a signature",
    "agreement.comment": "Commented on a version",
    "definition.rescore": "Rescored open leads",
    "import.leads": "Imported leads",
    "import.activities": "Imported activities",
    "import.outcomes": "Imported outcomes",
    "analytics.rebuild": "Rebuilt the dashboard figures",
    "demo.seed": "Loaded the demo data",
}
ENTITY_WORDS: dict[str, str] = {
    "lead": "Lead",
    "stageevent": "Stage change",
    "touch": "Touch",
    "activity": "Activity",
    "dispute": "Dispute",
    "agreementversion": "Agreement version",
    "signature": "Signature",
    "comment": "Comment",
    "reason": "Reason",
    "app_user": "User",
    "team": "Team",
    "routingrule": "Routing rule",
    "importbatch": "Import",
    "loginsession": "Login",
    "loginfailure": "Failed login",
    "notification": "Notification",
    "notifypreference": "Notification choices",
    "notifychoice": "Notification choice",
    "notifysettings": "Email settings",
    "webhook": "Webhook",
    "leadpass": "Dashboard figures",
    "demo": "Demo data",
}
OPERATIONS = {"create": "created", "update": "changed", "delete": "deleted"}
SHOWN_COLUMNS = ["id", "occurred_at", "who", "what", "record", "change"]
EXPORT_COLUMNS = [
    "id",
    "occurred_at",
    "who",
    "username",
    "what",
    "action",
    "entity",
    "entity_id",
    "change",
    "before",
    "after",
]


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows to show: one person (NOBODY: rows no user did; None: anyone), some
    actions and record kinds (empty: any), and UTC days from `since` to `until` included."""

    person_id: int | None = None
    actions: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first, and the id to pass as `older_than` for the next
    page (None: this is the last)."""

    rows: pd.DataFrame
    next_older_than: int | None


def action_words(action: str) -> str:
    """Return an audit action as a person says it: lead.validate → "Validated a lead"."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    entity, _, operation = action.rpartition(".")
    if operation in OPERATIONS and entity:
        return f"{entity_words(entity)} {OPERATIONS[operation]}"
    return action.replace(".", " ").replace("_", " ").capitalize()


def entity_words(entity: str) -> str:
    """Return a table's name as a person says it: stageevent → "Stage change"."""
    return ENTITY_WORDS.get(entity, entity.replace("_", " ").capitalize())


def _value(key: str, value: Any) -> str:
    if key in MASKED and value is not None:
        return "***"
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def change_words(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """Return what an audit row changed, one field a line: "stage: mql → accepted" for a
    change, "stage: mql" for a field of a new (or deleted) record; secrets as ***."""
    before, after = before or {}, after or {}
    lines = []
    for key in dict.fromkeys([*before, *after]):
        field = key.replace("_", " ")
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append(f"{field}: {_value(key, before[key])} → {_value(key, after[key])}")
        else:
            value = after.get(key, before.get(key))
            if value is not None and value != "":
                lines.append(f"{field}: {_value(key, value)}")
    return "\n".join(lines)


def _masked(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: "***" if k in MASKED and v is not None else v for k, v in values.items()}


def _clauses(where: AuditFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if where.person_id == NOBODY:
        clauses.append(col(AuditLog.actor_id).is_(None))
    elif where.person_id is not None:
        clauses.append(col(AuditLog.actor_id) == where.person_id)
    if where.actions:
        clauses.append(col(AuditLog.action).in_(where.actions))
    if where.entities:
        clauses.append(col(AuditLog.entity).in_(where.entities))
    if where.since and where.until and where.since > where.until:
        raise InvalidInput(
            f"The dates are the wrong way round: {where.since} is after {where.until}. "
            "Pick the first day, then the last.",
            field="since",
        )
    if where.since:
        clauses.append(col(AuditLog.occurred_at) >= datetime.combine(where.since, time.min, UTC))
    if where.until:
        end = datetime.combine(where.until + timedelta(days=1), time.min, UTC)
        clauses.append(col(AuditLog.occurred_at) < end)
    return clauses


def _rows(session: Session, where: AuditFilter, older_than: int | None, limit: int) -> pd.DataFrame:
    clauses = _clauses(where)
    if older_than is not None:
        clauses.append(col(AuditLog.id) < older_than)
    columns: list[Any] = [
        AuditLog.id,
        AuditLog.occurred_at,
        User.name,
        User.username,
        AuditLog.action,
        AuditLog.entity,
        AuditLog.entity_id,
        AuditLog.before,
        AuditLog.after,
    ]
    found = session.exec(
        select(*columns)
        .join(User, col(User.id) == AuditLog.actor_id, isouter=True)
        .where(*clauses)
        .order_by(col(AuditLog.id).desc())
        .limit(limit)
    ).all()
    columns = ["id", "occurred_at", "who", "username", "action", "entity", "entity_id"]
    frame = pd.DataFrame(
        [(*row[:7], _masked(row[7]), _masked(row[8])) for row in found],
        columns=[*columns, "before", "after"],
    )
    return _described(frame)


def _described(frame: pd.DataFrame) -> pd.DataFrame:
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["who"] = frame["who"].where(frame["who"].notna(), "System")
    frame["what"] = [action_words(a) for a in frame["action"]]
    frame["record"] = [
        entity_words(e) + ("" if pd.isna(i) else f" #{int(i)}")
        for e, i in zip(frame["entity"], frame["entity_id"], strict=True)
    ]
    frame["change"] = [
        change_words(b, a) for b, a in zip(frame["before"], frame["after"], strict=True)
    ]
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    return frame


def audit_page(
    session: Session,
    *,
    actor: Actor,
    where: AuditFilter = AuditFilter(),
    older_than: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """Return the newest `limit` audit rows matching `where` (older than entry `older_than`
    when given), described in words; refused for roles without view_audit_trail."""
    authorize(session, actor, PERMISSION, REFUSED)
    frame = _rows(session, where, older_than, limit + 1)
    more = len(frame) > limit
    frame = frame.head(limit)
    return AuditPage(frame, int(frame["id"].iloc[-1]) if more else None)


def audit_csv(session: Session, *, actor: Actor, where: AuditFilter = AuditFilter()) -> bytes:
    """Return the newest EXPORT_LIMIT audit rows matching `where` as CSV bytes (defused, the
    before and after as JSON, secrets masked)."""
    authorize(session, actor, PERMISSION, REFUSED)
    frame = _rows(session, where, None, EXPORT_LIMIT)
    for side in ("before", "after"):
        frame[side] = [
            None if v is None else json.dumps(v, ensure_ascii=False) for v in frame[side]
        ]
    return frame_to_csv(frame[EXPORT_COLUMNS])


def audit_people(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """Return (id, "Name (username)") of every user, by name, for the person filter."""
    authorize(session, actor, PERMISSION, REFUSED)
    users = session.exec(select(User.id, User.name, User.username).order_by(User.name)).all()
    return [(int(i), f"{n} ({u})") for i, n, u in users if i is not None]
