"""Writing versions: start a draft, edit it, propose it for signature.

An edit to a proposed version withdraws its valid signatures (the rows stay, with
`withdrawn_at`) and the version stays *proposed*: both sides must sign again, but nobody has
to propose it a second time. Active and retired versions are never edited; a new draft is
started from them instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from leaddash.access import authorize
from leaddash.agreements.conflicts import check_current
from leaddash.agreements.diff import describe_change, diff_contents
from leaddash.agreements.store import (
    KIND_LABELS,
    capital,
    check_kind,
    check_title,
    find_version,
    flush,
    lock_version,
    refuse_unless_editable,
    touch,
    valid_signatures,
    version_label,
)
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.errors import Conflict, InvalidInput
from leaddash.models import AgreementStatus, AgreementVersion, utcnow

Validate = Callable[[dict[str, Any]], dict[str, Any]]
Summarize = Callable[[dict[str, Any]], str]
EDIT = "edit_agreement_draft"


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the version as saved, and whose signatures the edit withdrew."""

    version: AgreementVersion
    withdrawn_from: tuple[str, ...] = ()


def create_draft(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    title: str,
    content: dict[str, Any] | None = None,
    based_on_id: int | None = None,
    validate: Validate | None = None,
    summarize: Summarize | None = None,
) -> AgreementVersion:
    """Return a new draft numbered after the kind's last version (terms copied when None)."""
    authorize(session, actor, EDIT, "draft the lead definition or the SLA")
    kind = check_kind(kind)
    base = _base(session, kind, based_on_id)
    if content is None and base is not None:
        content = base.content
    terms = _checked_content(content, validate)
    version = AgreementVersion(
        kind=kind,
        number=_next_number(session, kind),
        title=check_title(title),
        content=terms,
        summary=summarize(terms) if summarize else "",
        based_on_id=based_on_id,
        next_review_on=base.next_review_on if base is not None else None,
        author_id=actor.id,
        updated_by_id=actor.id,
    )
    act_as(session, actor, "agreement.create_draft")
    _insert(session, version)
    return version


def _base(session: Session, kind: str, based_on_id: int | None) -> AgreementVersion | None:
    if based_on_id is None:
        return None
    base = find_version(session, based_on_id)
    if base.kind != kind:
        raise InvalidInput(
            f"{capital(KIND_LABELS[kind])} drafts cannot start from {version_label(base)}.",
            field="based_on_id",
        )
    return base


def _checked_content(content: Any, validate: Validate | None) -> dict[str, Any]:
    if content is None:
        raise InvalidInput(
            "Give the draft its terms, or start it from an existing version.", field="content"
        )
    if not isinstance(content, dict):
        raise InvalidInput("The terms of a version must be a set of named fields.", field="content")
    terms = copy.deepcopy(content)
    return validate(terms) if validate else terms


def pending_edits(
    version: AgreementVersion,
    *,
    title: str,
    content: dict[str, Any],
    next_review_on: date | None,
    validate: Validate | None = None,
) -> list[str]:
    """Return one line per change an editor holds that the stored `version` does not (none:
    nothing is left unsaved)."""
    lines = []
    if title.strip() != version.title:
        lines.append(f"Title: {version.title} → {title.strip()}")
    if next_review_on != version.next_review_on:
        before, after = version.next_review_on or "none", next_review_on or "none"
        lines.append(f"Next review: {before} → {after}")
    try:
        terms = _checked_content(content, validate)
    except InvalidInput as exc:
        return [*lines, f"The terms, changed and not valid yet ({exc.message})"]
    if terms == version.content:
        return lines
    changes = [describe_change(c) for c in diff_contents(version.content, terms)]
    return lines + (changes or ["The terms"])


def _next_number(session: Session, kind: str) -> int:
    last = session.exec(
        select(func.max(AgreementVersion.number)).where(AgreementVersion.kind == kind)
    ).one()
    return (last or 0) + 1


def _insert(session: Session, version: AgreementVersion) -> None:
    try:
        with session.begin_nested():
            session.add(version)
    except IntegrityError:
        raise Conflict(
            f"Someone else started {version_label(version)} at the same moment. "
            "Nothing was saved; try again."
        ) from None


def save_draft(
    session: Session,
    *,
    actor: Actor,
    version_id: int,
    expected_version: int,
    title: str | None = None,
    content: dict[str, Any] | None = None,
    next_review_on: date | None = None,
    validate: Validate | None = None,
    summarize: Summarize | None = None,
) -> SaveResult:
    """Return what saving a draft or proposed version did (None leaves a field unchanged)."""
    authorize(session, actor, EDIT, "edit drafts of the lead definition or the SLA")
    version = lock_version(session, version_id)
    check_current(session, version, expected_version, attempted=content)
    refuse_unless_editable(version)
    edits = _edits(version, title, content, next_review_on, validate, summarize)
    if not edits:
        return SaveResult(version)
    act_as(session, actor, "agreement.edit")
    proposed = version.status == AgreementStatus.PROPOSED
    withdrawn = _withdraw_all(session, version) if proposed else ()
    for name, value in edits.items():
        setattr(version, name, value)
    touch(version, actor)
    flush(session)
    return SaveResult(version, withdrawn)


def _edits(
    version: AgreementVersion,
    title: str | None,
    content: dict[str, Any] | None,
    next_review_on: date | None,
    validate: Validate | None,
    summarize: Summarize | None,
) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    if title is not None:
        wanted["title"] = check_title(title)
    if content is not None:
        wanted["content"] = _checked_content(content, validate)
        if summarize:
            wanted["summary"] = summarize(wanted["content"])
    if next_review_on is not None:
        wanted["next_review_on"] = next_review_on
    edits = {name: value for name, value in wanted.items() if getattr(version, name) != value}
    if "content" not in edits:
        edits.pop("summary", None)
    return edits


def _withdraw_all(session: Session, version: AgreementVersion) -> tuple[str, ...]:
    signatures = valid_signatures(session, version.id or 0)
    now = utcnow()
    for signature in signatures:
        signature.withdrawn_at = now
    names = user_names(session, [s.user_id for s in signatures])
    return tuple(names.get(s.user_id, "someone") for s in signatures)


def propose(
    session: Session, *, actor: Actor, version_id: int, expected_version: int
) -> AgreementVersion:
    """Return the draft, now proposed and waiting for one signature from each side."""
    authorize(session, actor, EDIT, "propose a version for signature")
    version = lock_version(session, version_id)
    check_current(session, version, expected_version)
    refuse_unless_editable(version)
    if version.status == AgreementStatus.PROPOSED:
        raise InvalidInput(
            f"{capital(version_label(version))} is already proposed; it is waiting for signatures."
        )
    act_as(session, actor, "agreement.propose")
    version.status = AgreementStatus.PROPOSED
    version.proposed_at = utcnow()
    touch(version, actor, version.proposed_at)
    flush(session)
    return version
