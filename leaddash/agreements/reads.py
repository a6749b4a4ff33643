"""Reading versions: the version list with its signatures, one version, the active one, diffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.agreements.diff import Change, diff_contents
from leaddash.agreements.store import check_kind, find_version, version_label
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Signature, User

READ = "read_agreements"


@dataclass(frozen=True)
class SignatureRow:
    """A valid signature as the version list shows it."""

    side: str
    signer: str
    signed_at: datetime


@dataclass(frozen=True)
class VersionRow:
    """One line of the version list; `signatures` maps each signed side to its signature."""

    id: int
    kind: str
    number: int
    title: str
    status: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    proposed_at: datetime | None
    effective_from: datetime | None
    effective_to: datetime | None
    next_review_on: date | None
    version: int
    starts_at: datetime | None = None
    signatures: dict[str, SignatureRow] = field(default_factory=dict)


def list_versions(session: Session, *, actor: Actor, kind: str) -> list[VersionRow]:
    """Return every version of `kind`, newest first, with author and valid signatures."""
    authorize(session, actor, READ, "read the agreements")
    rows = session.exec(
        select(AgreementVersion, User.name)
        .join(User, col(AgreementVersion.author_id) == User.id, isouter=True)
        .where(AgreementVersion.kind == check_kind(kind))
        .order_by(col(AgreementVersion.number).desc())
    ).all()
    signed = _signatures(session, [v.id for v, _ in rows if v.id is not None])
    return [
        VersionRow(
            v.id or 0,
            v.kind,
            v.number,
            v.title,
            v.status,
            author,
            v.created_at,
            v.updated_at,
            v.proposed_at,
            v.effective_from,
            v.effective_to,
            v.next_review_on,
            v.version,
            v.starts_at,
            signed.get(v.id or 0, {}),
        )
        for v, author in rows
    ]


def _signatures(session: Session, ids: list[int]) -> dict[int, dict[str, SignatureRow]]:
    rows = session.exec(
        select(Signature, User.name)
        .join(User, col(Signature.user_id) == User.id)
        .where(col(Signature.agreement_id).in_(ids), col(Signature.withdrawn_at).is_(None))
    ).all()
    by_version: dict[int, dict[str, SignatureRow]] = {}
    for signature, name in rows:
        by_version.setdefault(signature.agreement_id, {})[signature.side] = SignatureRow(
            signature.side, name, signature.signed_at
        )
    return by_version


def get_version(session: Session, *, actor: Actor, version_id: int) -> AgreementVersion:
    """Return one version with its terms, or raise NotFound."""
    authorize(session, actor, READ, "read the agreements")
    return find_version(session, version_id)


def active_version(session: Session, kind: str) -> AgreementVersion | None:
    """Return the version of `kind` in force now, or None before the first activation."""
    return session.exec(
        select(AgreementVersion)
        .where(
            AgreementVersion.kind == check_kind(kind),
            AgreementVersion.status == AgreementStatus.ACTIVE,
        )
        .order_by(col(AgreementVersion.effective_from).desc())
    ).first()


def diff_versions(session: Session, *, actor: Actor, a_id: int, b_id: int) -> list[Change]:
    """Return the changes that turn version `a_id`'s terms into version `b_id`'s."""
    authorize(session, actor, READ, "read the agreements")
    a, b = find_version(session, a_id), find_version(session, b_id)
    if a.kind != b.kind:
        raise InvalidInput(
            f"{version_label(a)} and {version_label(b)} are different "
            "agreements; compare versions of the same one."
        )
    return diff_contents(a.content, b.content)


def calendar_zone(session: Session) -> str:
    """Return the time zone of the SLA in force (its business calendar's), else UTC: the
    zone people read and choose agreement start times in."""
    sla = active_version(session, AgreementKind.SLA)
    calendar = (sla.content.get("calendar") if sla else None) or {}
    return str(calendar.get("timezone") or "UTC")
