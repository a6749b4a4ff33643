"""Signing: one marketing and one sales signature make a proposed version the active one.

Activation must leave exactly one active version per kind even when two versions receive
their last signature at the same moment. `sign` therefore locks every version of the kind
(SELECT … FOR UPDATE, in id order, on PostgreSQL; SQLite write sessions already hold the
database's only write lock) before it reads which version is active, so the second signer
waits, then sees the first activation and retires it. Call `sign` before any other write in
its transaction, so its locks come first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.agreements.conflicts import check_current
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
from leaddash.core.times import format_utc
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import AgreementStatus, AgreementVersion, Side, Signature, utcnow

OnActivate = Callable[[Session, AgreementVersion], object]


@dataclass(frozen=True)
class SignResult:
    """What a signature did: the side signed for, and whether the version became active."""

    version: AgreementVersion
    side: str
    activated: bool
    retired: AgreementVersion | None = None


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
) -> SignResult:
    """Return what signing did; the second side's signature activates the version."""
    verify_actor(session, actor)
    side, signer_id = side_for(actor), _signer_id(actor)
    versions = lock_kind(session, kind_of(session, version_id))
    version = next(v for v in versions if v.id == version_id)  # kind_of found it, so it exists
    check_current(session, version, expected_version)
    _check_signable(session, actor, version, side)
    act_as(session, actor, "agreement.sign")
    session.add(Signature(agreement_id=version_id, side=side, user_id=signer_id))
    flush(session)
    if {s.side for s in valid_signatures(session, version_id)} != set(Side):
        return SignResult(version, side, activated=False)
    retired = _activate(session, actor, version, versions)
    if on_activate is not None:
        on_activate(session, version)
    return SignResult(version, side, activated=True, retired=retired)


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


def _activate(
    session: Session, actor: Actor, version: AgreementVersion, versions: list[AgreementVersion]
) -> AgreementVersion | None:
    act_as(session, actor, "agreement.activate")
    now = utcnow()
    retired = [v for v in versions if v.status == AgreementStatus.ACTIVE and v.id != version.id]
    for old in retired:
        old.status, old.effective_to = AgreementStatus.RETIRED, now
        touch(old, actor, now)
    flush(session)  # retire first, so no moment ever holds two active versions
    version.status, version.effective_from = AgreementStatus.ACTIVE, now
    touch(version, actor, now)
    flush(session)
    return retired[-1] if retired else None


def withdraw_signature(session: Session, *, actor: Actor, version_id: int) -> Signature:
    """Return the actor's side's signature on a proposed version, now withdrawn."""
    verify_actor(session, actor)
    side = side_for(actor)
    version = lock_version(session, version_id)
    if version.status != AgreementStatus.PROPOSED:
        raise InvalidInput(
            f"{capital(version_label(version))} is {version.status}; only "
            "signatures on a proposed version can be withdrawn."
        )
    signed = next((s for s in valid_signatures(session, version_id) if s.side == side), None)
    if signed is None:
        raise InvalidInput(
            f"{capital(side)} has not signed {version_label(version)}; "
            "there is no signature to withdraw."
        )
    act_as(session, actor, "agreement.withdraw_signature")
    signed.withdrawn_at = utcnow()
    flush(session)
    return signed
