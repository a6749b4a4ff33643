"""What a rep does with a lead: accept, log an attempt, validate, disqualify, reject, recycle,
and undo a decision within seconds of taking it.

Each action runs in the caller's one write transaction: lock the lead, check the actor may
work it and that nobody changed it since the user loaded it, then write the lead, its stage
event(s) and any touch together (the audit rows follow from the ORM listener). A decision
taken on a lead with no touch logged records the call it was made on, so response-time
metrics stay true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.agreements import active_version
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.core.times import as_utc
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.facts.refresh import refresh_facts
from leaddash.models import (
    UNDONE_REASON,
    AgreementKind,
    Lead,
    ReasonKind,
    Stage,
    StageEvent,
    Touch,
    TouchOutcome,
    stored_id,
    utcnow,
)
from leaddash.queue.core import (
    check_can_act,
    lead_name,
    lock_lead,
    move_stage,
    refuse_if_stale,
)
from leaddash.queue.reroute import MISROUTED, reroute_lead
from leaddash.queue.touches import (
    OUTCOME_WORDS,
    checked_callback,
    checked_outcome,
)
from leaddash.reasons import ReasonChoice, find_reason
from leaddash.sla import default_sla_content

MAX_NOTE = 2000
UNDO_SECONDS = 30
DECIDED_WORDS: dict[str, str] = {
    Stage.VALIDATED: "validated",
    Stage.DISQUALIFIED: "disqualified",
    Stage.REJECTED: "rejected",
    Stage.RECYCLED: "recycled",
}
OPEN = (Stage.MQL, Stage.ACCEPTED)
STAGE_WORDS: dict[str, str] = {
    Stage.MQL: "a new MQL",
    Stage.ACCEPTED: "accepted",
    Stage.VALIDATED: "already validated",
    Stage.DISQUALIFIED: "already disqualified",
    Stage.REJECTED: "already rejected",
    Stage.RECYCLED: "already recycled to nurture",
}


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for the page: the lead's new stage and version, and a message."""

    lead_id: int
    stage: str
    version: int
    message: str


def _begin(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    action: str,
    *,
    taking: bool = False,
) -> Lead:
    lead = lock_lead(session, lead_id=lead_id, expected_version=None)
    check_can_act(session, actor, lead, taking=taking)
    refuse_if_stale(session, lead, expected_version)
    act_as(session, actor, f"lead.{action}")
    return lead


def _require_stage(lead: Lead, allowed: tuple[str, ...], doing: str) -> None:
    if lead.stage not in allowed:
        state = STAGE_WORDS.get(lead.stage, f"at stage {lead.stage}")
        raise Conflict(f"{lead_name(lead)} is {state}, so it cannot be {doing}. Nothing was saved.")


def _note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(
            f"Keep the note under {MAX_NOTE} characters (it has {len(text)}).", field="note"
        )
    return text or None


def _done(session: Session, lead: Lead, message: str) -> ActionResult:
    lead_id = stored_id(lead)
    refresh_facts(session, lead_ids=[lead_id])  # flushes the action's writes first
    return ActionResult(lead_id, lead.stage, lead.version, message)


def min_attempts(session: Session) -> int:
    """Return the attempts the active SLA asks for before "unable to reach"."""
    sla = active_version(session, AgreementKind.SLA)
    content = sla.content if sla is not None else default_sla_content()
    return int(content["sales"]["min_attempts"])


def _accept(session: Session, lead: Lead, actor: Actor, at: datetime) -> None:
    if lead.owner_id is None:
        lead.owner_id, lead.assigned_at = actor.id, at
    lead.accepted_at = lead.accepted_at or at
    move_stage(session, lead, to_stage=Stage.ACCEPTED, actor=actor, at=at)


def _touch(
    session: Session,
    lead: Lead,
    actor: Actor,
    at: datetime,
    channel: str,
    note: str | None,
    outcome: str | None,
) -> None:
    session.add(
        Touch(
            lead_id=stored_id(lead),
            rep_id=stored_id(actor),
            channel=channel,
            occurred_at=at,
            note=note,
            outcome=outcome,
        )
    )
    lead.attempts += 1
    lead.first_touch_at = lead.first_touch_at or at
    if outcome == TouchOutcome.CONNECTED:
        lead.first_contact_at = lead.first_contact_at or at
    lead.callback_at = None
    lead.updated_at = at
    session.add(lead)


def accept_lead(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    at: datetime | None = None,
) -> ActionResult:
    """Return the result of accepting a new MQL (taking it when it has no owner yet)."""
    verify_actor(session, actor)
    at = as_utc(at or utcnow())
    lead = _begin(session, actor, lead_id, expected_version, "accept", taking=True)
    _require_stage(lead, (Stage.MQL,), "accepted")
    _accept(session, lead, actor, at)
    return _done(session, lead, f"You accepted {lead_name(lead)}: it is yours to call now.")


def log_attempt(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    channel: str,
    outcome: str | None,
    note: str | None = None,
    callback_at: datetime | None = None,
    at: datetime | None = None,
) -> ActionResult:
    """Return the result of logging one call or email to the lead and what it came to
    (accepting a new MQL), with the time the rep will call back, if one was agreed."""
    verify_actor(session, actor)
    outcome = checked_outcome(channel, outcome)
    at, note = as_utc(at or utcnow()), _note(note)
    callback_at = checked_callback(callback_at, at)
    lead = _begin(session, actor, lead_id, expected_version, "log_attempt")
    _require_stage(lead, OPEN, "contacted")
    if lead.stage == Stage.MQL:
        _accept(session, lead, actor, at)
    _touch(session, lead, actor, at, channel, note, outcome)
    lead.callback_at = callback_at
    needed = min_attempts(session) - lead.attempts
    more = f" {needed} more before you may close it as unable to reach." if needed > 0 else ""
    later = f" Call back at {callback_at:%Y-%m-%d %H:%M} UTC." if callback_at else ""
    return _done(
        session,
        lead,
        f"Attempt {lead.attempts} ({channel}, {OUTCOME_WORDS[outcome]}) logged for "
        f"{lead_name(lead)}.{more}{later}",
    )


def _decide(
    session: Session,
    lead: Lead,
    actor: Actor,
    at: datetime,
    to_stage: str,
    reason_code: str | None,
    note: str | None,
    *,
    reached: bool,
) -> None:
    """Decide after the call: a decision that `reached` the person records the contact
    when none is recorded yet (as a connected call when no touch was logged at all)."""
    if lead.stage == Stage.MQL:
        _accept(session, lead, actor, at)
    if lead.first_touch_at is None:
        _touch(session, lead, actor, at, "call", None, TouchOutcome.CONNECTED if reached else None)
    if reached:
        lead.first_contact_at = lead.first_contact_at or at
    _close(session, lead, actor, at, to_stage, reason_code, note)


def _close(
    session: Session,
    lead: Lead,
    actor: Actor,
    at: datetime,
    to_stage: str,
    reason_code: str | None,
    note: str | None,
) -> None:
    lead.decided_at = at
    lead.callback_at = None
    move_stage(
        session, lead, to_stage=to_stage, actor=actor, at=at, reason_code=reason_code, note=note
    )


# Each kind of close: the verb for "you cannot … this lead" and the stage it leaves in.
_CLOSES = {
    ReasonKind.DISQUALIFY: ("disqualify", Stage.DISQUALIFIED),
    ReasonKind.REJECT: ("reject", Stage.REJECTED),
    ReasonKind.RECYCLE: ("recycle", Stage.RECYCLED),
}


def _begin_with_reason(
    session: Session,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    kind: ReasonKind,
    reason_code: str | None,
) -> tuple[Lead, ReasonChoice]:
    """Return the open lead to close with an agreed reason of `kind`, and that reason."""
    doing, stage = _CLOSES[kind]
    reason = find_reason(session, kind, reason_code)
    lead = _begin(session, actor, lead_id, expected_version, doing)
    _require_stage(lead, OPEN, stage)
    return lead, reason


def validate_lead(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    note: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    """Return the result of answering yes: the lead meets the agreed definition."""
    verify_actor(session, actor)
    at, note = as_utc(at or utcnow()), _note(note)
    lead = _begin(session, actor, lead_id, expected_version, "validate")
    _require_stage(lead, OPEN, "validated")
    _decide(session, lead, actor, at, Stage.VALIDATED, None, note, reached=True)
    return _done(
        session, lead, f"{lead_name(lead)} meets the definition: validated. It has left your queue."
    )


def disqualify_lead(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    reason_code: str | None,
    note: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    """Return the result of answering no, with one agreed disqualification reason."""
    verify_actor(session, actor)
    at, note = as_utc(at or utcnow()), _note(note)
    lead, reason = _begin_with_reason(
        session, actor, lead_id, expected_version, ReasonKind.DISQUALIFY, reason_code
    )
    needed = min_attempts(session)
    if reason.needs_min_attempts and lead.attempts < needed:
        raise InvalidInput(
            f'"Unable to reach" needs {needed} logged attempts and {lead_name(lead)} has '
            f"{lead.attempts}: log {needed - lead.attempts} more attempt(s) first.",
            field="reason",
        )
    _decide(
        session,
        lead,
        actor,
        at,
        Stage.DISQUALIFIED,
        reason.code,
        note,
        reached=not reason.needs_min_attempts,
    )
    return _done(
        session, lead, f"{lead_name(lead)} disqualified ({reason.label}). It has left your queue."
    )


def reject_lead(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    reason_code: str | None,
    note: str | None = None,
    at: datetime | None = None,
    team_id: int | None = None,
) -> ActionResult:
    """Return the result of sending a lead back before any contact: to marketing, or, when
    misrouted, to routing (`team_id`: the team the rep names, where it waits when no other
    routing rule matches; see leaddash.queue.reroute)."""
    verify_actor(session, actor)
    at, note = as_utc(at or utcnow()), _note(note)
    lead, reason = _begin_with_reason(
        session, actor, lead_id, expected_version, ReasonKind.REJECT, reason_code
    )
    if lead.first_touch_at is not None:
        raise Conflict(
            f"{lead_name(lead)} has already been contacted, so it can no longer "
            "be rejected back to marketing: disqualify it with a reason instead."
        )
    if reason.code == MISROUTED:
        went = reroute_lead(
            session, actor=actor, lead=lead, reason=reason, team_id=team_id, note=note, at=at
        )
        where = f"to {went.rep} in {went.team}" if went.rep else f"to the {went.team} queue"
        return _done(session, lead, f"{lead_name(lead)} sent back to routing: it went {where}.")
    _close(session, lead, actor, at, Stage.REJECTED, reason.code, note)
    return _done(session, lead, f"{lead_name(lead)} rejected back to marketing ({reason.label}).")


def recycle_lead(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    reason_code: str | None,
    note: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    """Return the result of sending a lead back to nurture, with its reason."""
    verify_actor(session, actor)
    at, note = as_utc(at or utcnow()), _note(note)
    lead, reason = _begin_with_reason(
        session, actor, lead_id, expected_version, ReasonKind.RECYCLE, reason_code
    )
    _close(session, lead, actor, at, Stage.RECYCLED, reason.code, note)
    return _done(session, lead, f"{lead_name(lead)} recycled to nurture ({reason.label}).")


def _last_event(session: Session, lead_id: int) -> StageEvent | None:
    return session.exec(
        select(StageEvent)
        .where(StageEvent.lead_id == lead_id)
        .order_by(col(StageEvent.occurred_at).desc(), col(StageEvent.id).desc())
        .limit(1)
    ).first()


def _undoable(session: Session, lead: Lead, actor: Actor, now: datetime) -> StageEvent:
    """Return the decision event the actor may still undo, or raise saying why not."""
    name, event = lead_name(lead), _last_event(session, stored_id(lead))
    if event is None or event.to_stage not in DECIDED_WORDS or lead.stage != event.to_stage:
        raise Conflict(f"{name} has no decision to undo: it is {lead.stage}. Nothing was changed.")
    done = DECIDED_WORDS[event.to_stage]
    if event.actor_id != actor.id:
        who = user_names(session, [event.actor_id]).get(event.actor_id or 0, "someone else")
        raise Forbidden(
            f"{name} was {done} by {who}: only they can undo that decision. Nothing was changed."
        )
    decided = as_utc(event.occurred_at)
    if now - decided > timedelta(seconds=UNDO_SECONDS):
        raise Conflict(
            f"{name} was {done} at {decided:%H:%M:%S} UTC, more than {UNDO_SECONDS} seconds "
            "ago, so it can no longer be undone. Nothing was changed; ask your manager if "
            "the decision was wrong."
        )
    return event


def undo_decision(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    now: datetime | None = None,
) -> ActionResult:
    """Return the result of undoing the actor's own decision on the lead (validate,
    disqualify, reject, recycle) within UNDO_SECONDS: a stage event back to the stage it
    left, never a deletion; the decision stays in the history."""
    verify_actor(session, actor)
    now = as_utc(now or utcnow())
    lead = _begin(session, actor, lead_id, expected_version, "undo")
    event = _undoable(session, lead, actor, now)
    lead.decided_at = None
    move_stage(
        session,
        lead,
        to_stage=event.from_stage or Stage.ACCEPTED,
        actor=actor,
        at=max(now, as_utc(event.occurred_at)),
        reason_code=UNDONE_REASON,
        note=f"{DECIDED_WORDS[event.to_stage].capitalize()} by mistake: taken back.",
    )
    return _done(session, lead, f"Undone: {lead_name(lead)} is back in your queue.")
