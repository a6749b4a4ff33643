"""Lookups, row locks and wording shared by every agreement service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from leaddash.core.actor import Actor
from leaddash.errors import Conflict, InvalidInput, NotFound
from leaddash.models import (
    AgreementKind,
    AgreementStatus,
    AgreementVersion,
    Signature,
    utcnow,
)

KIND_LABELS: dict[str, str] = {
    AgreementKind.DEFINITION: "lead definition",
    AgreementKind.SLA: "SLA",
}
MAX_TITLE_LENGTH = 200


def check_kind(kind: str) -> str:
    """Return `kind` when it names an agreement, else raise InvalidInput listing the kinds."""
    if kind not in {k.value for k in AgreementKind}:
        valid = ", ".join(k.value for k in AgreementKind)
        raise InvalidInput(f"Unknown agreement kind {kind!r}. Valid kinds: {valid}.", field="kind")
    return kind


def check_title(title: str) -> str:
    """Return the title trimmed, or raise InvalidInput when it is empty or too long."""
    title = title.strip()
    if not title:
        raise InvalidInput("Give the version a title.", field="title")
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(f"Keep the title under {MAX_TITLE_LENGTH} characters.", field="title")
    return title


def version_label(version: AgreementVersion) -> str:
    """Return how messages name a version, e.g. "lead definition v3"."""
    return f"{KIND_LABELS.get(version.kind, version.kind)} v{version.number}"


def capital(text: str) -> str:
    """Return `text` with its first letter upper-case (and "SLA" left alone)."""
    return text[:1].upper() + text[1:]


def find_version(session: Session, version_id: int) -> AgreementVersion:
    """Return the version with this id, or raise NotFound."""
    version = session.get(AgreementVersion, version_id)
    if version is None:
        raise NotFound(f"There is no agreement version with id {version_id}.")
    return version


def lock_version(session: Session, version_id: int) -> AgreementVersion:
    """Return the version re-read under a row lock (FOR UPDATE on PostgreSQL), or NotFound."""
    query = (
        select(AgreementVersion)
        .where(AgreementVersion.id == version_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    version = session.exec(query).first()
    if version is None:
        raise NotFound(f"There is no agreement version with id {version_id}.")
    return version


def lock_kind(session: Session, kind: str) -> list[AgreementVersion]:
    """Return every version of `kind`, re-read and locked in id order (no deadlocks)."""
    query = (
        select(AgreementVersion)
        .where(AgreementVersion.kind == kind)
        .order_by(col(AgreementVersion.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query).all())


def kind_of(session: Session, version_id: int) -> str:
    """Return the kind of a version without locking it, or raise NotFound."""
    kind = session.exec(
        select(AgreementVersion.kind).where(AgreementVersion.id == version_id)
    ).first()
    if kind is None:
        raise NotFound(f"There is no agreement version with id {version_id}.")
    return kind


def valid_signatures(session: Session, version_id: int) -> list[Signature]:
    """Return the signatures on a version that have not been withdrawn."""
    return list(
        session.exec(
            select(Signature)
            .where(Signature.agreement_id == version_id, col(Signature.withdrawn_at).is_(None))
            .order_by(col(Signature.id))
        ).all()
    )


def refuse_unless_editable(version: AgreementVersion) -> None:
    """Raise InvalidInput when the version is signed, active or retired (its terms are
    settled)."""
    if version.status == AgreementStatus.SCHEDULED:
        raise InvalidInput(
            f"{capital(version_label(version))} is signed by both sides and waits for its "
            "start, so it can no longer be changed. Withdraw your side's signature to change "
            "it, or start a new draft from it."
        )
    if version.status in (AgreementStatus.ACTIVE, AgreementStatus.RETIRED):
        raise InvalidInput(
            f"{capital(version_label(version))} is {version.status} and can no longer be "
            "changed. Start a new draft from it instead."
        )


def touch(version: AgreementVersion, actor: Actor | None, now: datetime | None = None) -> None:
    """Record who last changed the version row (None: LeadDash itself), and when."""
    version.updated_by_id = actor.id if actor else None
    version.updated_at = now or utcnow()


def flush(session: Session) -> None:
    """Flush; a row changed underneath by a writer that skipped the locks becomes Conflict."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Someone else changed this version at the same moment. Nothing was saved. "
            "Reload to see their change, then make yours again."
        ) from None
