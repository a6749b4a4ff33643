"""The events services raise, turned into messages: SLA alerts, a version awaiting
signature, a dispute raised or ruled. Each call writes to the outbox in the caller's
transaction (leaddash.notify.enqueue) and returns how many rows it wrote."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from leaddash.agreements.store import valid_signatures, version_label
from leaddash.core.times import format_utc
from leaddash.models import AgreementVersion, Dispute, Role, Side, User, stored_id
from leaddash.notify.enqueue import notify
from leaddash.notify.events import Event

SLA_KINDS = {
    "warning": Event.SLA_WARNING,
    "breach": Event.SLA_BREACH,
    "escalation": Event.SLA_ESCALATION,
}
SIDE_ROLES = {Side.MARKETING: Role.MARKETING_LEADER, Side.SALES: Role.SALES_LEADER}
PAGE_OF_KIND = {"definition": "/definition", "sla": "/sla"}


def users_with_role(session: Session, role: str, team_id: int | None = None) -> list[int]:
    """Return the ids of the active users with `role` (in `team_id` when given)."""
    query = select(User.id).where(User.role == role, col(User.is_active))
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return [i for i in session.exec(query).all() if i is not None]


def notify_sla_alert(
    session: Session,
    *,
    lead_id: int,
    milestone: str,
    kind: str,
    step: int,
    owner_id: int | None,
    team_id: int | None,
    due_at: datetime,
    lead_name: str,
    now: datetime | None = None,
) -> int:
    """Return the rows written for an SLA alert on a lead's milestone: a warning to the
    owner, a breach to the owner and the team's managers, an escalation (step N of the
    ladder) to the managers."""
    event = SLA_KINDS.get(kind)
    if event is None:
        raise ValueError(f"An SLA alert is a warning, a breach or an escalation, not {kind!r}.")
    what = milestone.replace("_", " ")
    said = {
        Event.SLA_WARNING: f"{lead_name}: the {what} is due {format_utc(due_at)}",
        Event.SLA_BREACH: f"{lead_name}: the {what} was due {format_utc(due_at)} and is late",
        Event.SLA_ESCALATION: f"{lead_name}: the {what} is still not done (escalation {step})",
    }[event]
    owners = [owner_id] if event != Event.SLA_ESCALATION else []
    managers = (
        users_with_role(session, Role.SALES_MANAGER, team_id)
        if team_id and event != Event.SLA_WARNING
        else []
    )
    written = 0
    for user_ids, where in ((owners, "your queue"), (managers, "the team queue")):
        written += notify(
            session,
            event=event,
            user_ids=user_ids,
            subject=f"SLA {kind}: {said}",
            text=f"{said}. Open it in {where} to act on it.",
            link="/my-queue" if where == "your queue" else "/team-queue",
            dedupe_key=f"sla:{lead_id}:{milestone}:{kind}:{step}",
            now=now,
        )
    return written


def notify_proposal(
    session: Session, *, version: AgreementVersion, now: datetime | None = None
) -> int:
    """Return the rows written to tell the leaders of each side yet to sign that `version`
    waits for their signature."""
    signed = {s.side for s in valid_signatures(session, stored_id(version))}
    waiting = [side for side in (Side.MARKETING, Side.SALES) if side not in signed]
    recipients = [i for side in waiting for i in users_with_role(session, SIDE_ROLES[side])]
    label = version_label(version)
    return notify(
        session,
        event=Event.PROPOSAL,
        user_ids=recipients,
        subject=f"Waiting for your signature: {label}",
        text=(
            f"{label} ({version.title}) is proposed and needs one signature from each side "
            "before it takes effect. Read it, then sign it or comment on it."
        ),
        link=PAGE_OF_KIND.get(version.kind, "/definition"),
        dedupe_key=f"proposal:{version.id}:{version.proposed_at and version.proposed_at.isoformat()}",
        now=now,
    )


def notify_dispute_raised(
    session: Session, *, dispute: Dispute, lead_name: str, now: datetime | None = None
) -> int:
    """Return the rows written to tell the sales leaders that marketing disputed a decision."""
    return notify(
        session,
        event=Event.DISPUTE_RAISED,
        user_ids=users_with_role(session, Role.SALES_LEADER),
        subject=f"Dispute to rule: {lead_name}",
        text=(
            f"Marketing disputes the decision on {lead_name}: {dispute.marketing_note}\n"
            "Uphold it or overturn it on the Disputes page."
        ),
        link="/disputes",
        dedupe_key=f"dispute:{dispute.id}:raised",
        now=now,
    )


def notify_dispute_ruled(
    session: Session, *, dispute: Dispute, lead_name: str, now: datetime | None = None
) -> int:
    """Return the rows written to tell whoever raised the dispute how it was ruled."""
    return notify(
        session,
        event=Event.DISPUTE_RULED,
        user_ids=[dispute.raised_by_id],
        subject=f"Dispute {dispute.status}: {lead_name}",
        text=(
            f"Your dispute of the decision on {lead_name} was {dispute.status}: "
            f"{dispute.resolution_note}"
        ),
        link="/disputes",
        dedupe_key=f"dispute:{dispute.id}:ruled",
        now=now,
    )
