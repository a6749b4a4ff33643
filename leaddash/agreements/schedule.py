"""Taking effect: a signed version becomes the active one at once, or at its start.

A version whose second signature lands before its planned start waits as `scheduled`;
everything that reads the active version keeps reading the one in force until then.
`start_due_versions` makes due versions active; the worker runs it on every pass (before
the SLA sweep), so a start is never missed while the app runs, reads stay reads, and the
definition's rescoring happens in the background rather than in somebody's page load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from leaddash.agreements.store import flush, lock_kind, touch
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.core.times import as_utc
from leaddash.models import AgreementStatus, AgreementVersion

OnActivate = Callable[[Session, AgreementVersion], object]


@dataclass(frozen=True)
class Started:
    """A scheduled version that took effect, and the version it retired (if any)."""

    version: AgreementVersion
    retired: AgreementVersion | None


def is_due(version: AgreementVersion, now: datetime) -> bool:
    """Return True when the version has no planned start or its start has come."""
    return version.starts_at is None or as_utc(version.starts_at) <= as_utc(now)


def activate(
    session: Session,
    actor: Actor | None,
    version: AgreementVersion,
    versions: list[AgreementVersion],
    now: datetime,
) -> AgreementVersion | None:
    """Make `version` the active one of its locked kind (`versions`) from `now`; return the
    version it retired."""
    act_as(session, actor, "agreement.activate")
    retired = [v for v in versions if v.status == AgreementStatus.ACTIVE and v.id != version.id]
    for old in retired:
        old.status, old.effective_to = AgreementStatus.RETIRED, now
        touch(old, actor, now)
    flush(session)  # retire first, so no moment ever holds two active versions
    version.status, version.effective_from = AgreementStatus.ACTIVE, now
    touch(version, actor, now)
    flush(session)
    return retired[-1] if retired else None


def start_due_versions(
    session: Session, *, now: datetime, on_activate: Mapping[str, OnActivate] | None = None
) -> list[Started]:
    """Return the scheduled versions whose start has come, now active (each kind's previous
    version retired, and the kind's `on_activate` hook run). Call it first in its
    transaction: it locks every version of each kind."""
    started: list[Started] = []
    for kind in _kinds_due(session, now):
        versions = lock_kind(session, kind)
        due = [v for v in versions if v.status == AgreementStatus.SCHEDULED and is_due(v, now)]
        for version in sorted(due, key=lambda v: as_utc(v.starts_at or now)):
            retired = activate(session, None, version, versions, now)
            hook = (on_activate or {}).get(kind)
            if hook is not None:
                hook(session, version)
            started.append(Started(version, retired))
    return started


def _kinds_due(session: Session, now: datetime) -> list[str]:
    """Return the kinds with a scheduled version due (read without locks, so a pass with
    nothing to start locks nothing)."""
    kinds = session.exec(
        select(AgreementVersion.kind)
        .where(
            AgreementVersion.status == AgreementStatus.SCHEDULED,
            col(AgreementVersion.starts_at) <= now,
        )
        .distinct()
    ).all()
    return sorted(kinds)
