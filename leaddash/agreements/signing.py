"""Signing: one marketing and one sales signature make a proposed version the active one.

Activation must leave exactly one active version per kind even when two versions receive
their last signature at the same moment. `sign` therefore locks every version of the kind
(SELECT … FOR UPDATE, in id order, on PostgreSQL; SQLite write sessions already hold the
database's only write lock) before it reads which version is active, so the second signer
waits, then sees the first activation and retires it. Call `sign` before any other write in
its transaction, so its locks come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.agreements.conflicts import check_current
from leaddash.agreements.schedule import OnActivate, activate, is_due
from leaddash.agreements.store import (
    capital,
    flush,
    kind_of,
    lock_kind,
    lock_version,
    touch,
    valid_signatures,
    version_label,
)
from leaddash.audit import act_as
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.core.times import as_utc, format_utc
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementStatus, AgreementVersion, Side, Signature, utcnow


@dataclass(frozen=True)
class SignResult:
    """What a signature did: the side signed for, and whether the version became active
    (or, signed by both sides with a later start, `scheduled` to become active then)."""

    version: AgreementVersion
    side: str
    activated: bool
    retired: AgreementVersion | None = None
    scheduled: bool = False


def side_for(actor: Actor) -> str:
    """Return the side the actor signs for, or raise Forbidden for everyone but leaders."""
    if can(actor, "sign_for_marketing"):
        return Side.MARKETING
    if can(actor, "sign_for_sales"):
        return Side.SALES
    role = actor.role.replace("_", " ")
    article = "an" if role[:1] in "aeiou" else "a"
    raise Forbidden(
        "Only a marketing leader or a sales leader can sign a version of the lead definition "
        f"or the SLA; you are signed in as {article} {role}."
    )


def _signer_id(actor: Actor) -> int:
    if actor.id is None:
        raise Forbidden("Signatures belong to people: sign in as yourself to sign.")
    return actor.id


def sign(
    session: Session,
    *,
    actor: Actor,
    version_id: int,
    expected_version: int,
    on_activate: OnActivate | None = None,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> SignResult:
    """Return what signing did; the second side's signature activates the version, or
    schedules it when its start (`starts_at`, chosen by the first signer) is still ahead."""
    verify_actor(session, actor)
    side, signer_id, now = side_for(actor), _signer_id(actor), now or utcnow()
    versions = lock_kind(session, kind_of(session, version_id))
    version = next(v for v in versions if v.id == version_id)  # kind_of found it, so it exists
    check_current(session, version, expected_version)
    _check_signable(session, actor, version, side)
    act_as(session, actor, "agreement.sign")
    _plan_start(session, version, starts_at)
    session.add(Signature(agreement_id=version_id, side=side, user_id=signer_id, signed_at=now))
    flush(session)
    if {s.side for s in valid_signatures(session, version_id)} != set(Side):
        return SignResult(version, side, activated=False)
    _refuse_second_schedule(version, versions)
    if not is_due(version, now):
        act_as(session, actor, "agreement.schedule")
        version.status = AgreementStatus.SCHEDULED
        touch(version, actor, now)
        flush(session)
        return SignResult(version, side, activated=False, scheduled=True)
    retired = activate(session, actor, version, versions, now)
    if on_activate is not None:
        on_activate(session, version)
    return SignResult(version, side, activated=True, retired=retired)


def _plan_start(session: Session, version: AgreementVersion, starts_at: datetime | None) -> None:
    """Set the version's start when the first signer chooses one; the second signs the
    start the first signed for."""
    if starts_at is None or (version.starts_at and as_utc(version.starts_at) == as_utc(starts_at)):
        return
    if valid_signatures(session, version.id or 0):
        planned = f"on {format_utc(version.starts_at)}" if version.starts_at else "at once"
        raise InvalidInput(
            f"The other side signed {version_label(version)} to take effect {planned}; "
            "sign for that start, or ask them to withdraw their signature to change it.",
            field="starts_at",
        )
    version.starts_at = as_utc(starts_at)


def _refuse_second_schedule(version: AgreementVersion, versions: list[AgreementVersion]) -> None:
    """Refuse a second version waiting for its start: which should win would be a guess."""
    waiting = next((v for v in versions if v.status == AgreementStatus.SCHEDULED), None)
    if waiting is None:
        return
    raise InvalidInput(
        f"{capital(version_label(waiting))} is already signed to take effect on "
        f"{format_utc(waiting.starts_at or utcnow())}. Withdraw a signature from it before "
        f"{version_label(version)} is signed by both sides."
    )


def _check_signable(session: Session, actor: Actor, version: AgreementVersion, side: str) -> None:
    label = version_label(version)
    if version.status == AgreementStatus.DRAFT:
        raise InvalidInput(f"{capital(label)} is still a draft: propose it before signing.")
    if version.status != AgreementStatus.PROPOSED:
        raise InvalidInput(
            f"{capital(label)} is {version.status}; only a proposed version can be signed."
        )
    signed = next((s for s in valid_signatures(session, version.id or 0) if s.side == side), None)
    if signed is None:
        return
    if signed.user_id == actor.id:
        raise InvalidInput(f"You have already signed {label} for {side}.")
    name = user_names(session, [signed.user_id]).get(signed.user_id, "someone")
    raise InvalidInput(
        f"{capital(side)} has already signed {label}: {name} signed it on "
        f"{format_utc(signed.signed_at)}."
    )


def withdraw_signature(session: Session, *, actor: Actor, version_id: int) -> Signature:
    """Return the actor's side's signature on a proposed version, now withdrawn."""
    verify_actor(session, actor)
    side = side_for(actor)
    version = lock_version(session, version_id)
    if version.status not in (AgreementStatus.PROPOSED, AgreementStatus.SCHEDULED):
        raise InvalidInput(
            f"{capital(version_label(version))} is {version.status}; only "
            "signatures on a version not yet in force can be withdrawn."
        )
    signed = next((s for s in valid_signatures(session, version_id) if s.side == side), None)
    if signed is None:
        raise InvalidInput(
            f"{capital(side)} has not signed {version_label(version)}; "
            "there is no signature to withdraw."
        )
    act_as(session, actor, "agreement.withdraw_signature")
    signed.withdrawn_at = utcnow()
    if version.status == AgreementStatus.SCHEDULED:
        # One side no longer agrees: the version will not start, and waits to be signed again.
        version.status = AgreementStatus.PROPOSED
        touch(version, actor, signed.withdrawn_at)
    flush(session)
    return signed
