"""Inbox rows about the agreements: proposals waiting for the reader's side to sign, the
what-if headline of a proposed definition, and reviews of the versions in force that are
due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.agreements import active_version
from leaddash.agreements.store import capital, valid_signatures, version_label
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.core.times import format_utc
from leaddash.errors import InvalidInput
from leaddash.inbox.items import DEFINITION, SLA, InboxItem
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Side
from leaddash.whatif import replay

PAGES = {AgreementKind.DEFINITION: DEFINITION, AgreementKind.SLA: SLA}
REVIEW_NOTICE = timedelta(days=7)  # a review shows this long before its date, and after
WHATIF_DAYS = 90


def _signing_side(actor: Actor) -> str | None:
    if can(actor, "sign_for_marketing"):
        return Side.MARKETING
    if can(actor, "sign_for_sales"):
        return Side.SALES
    return None


def proposals_to_sign(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return one row per proposed version the actor's side has not signed (for a reader
    who signs for no side, per proposed version still missing a signature)."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    side = _signing_side(actor)
    proposed = session.exec(
        select(AgreementVersion)
        .where(AgreementVersion.status == AgreementStatus.PROPOSED)
        .order_by(col(AgreementVersion.kind), col(AgreementVersion.number))
    ).all()
    items = []
    for version in proposed:
        signed = {s.side for s in valid_signatures(session, version.id or 0)}
        missing = [s.value for s in Side if s not in signed]
        if side in signed or not missing:
            continue
        items.append(_proposal_item(version, side, signed, missing))
    return items


def _proposal_item(
    version: AgreementVersion, side: str | None, signed: set[str], missing: list[str]
) -> InboxItem:
    label = version_label(version)
    signature = "signature" if len(missing) == 1 else "signatures"
    waits = "your signature" if side else f"the {' and '.join(missing)} {signature}"
    others = f"{' and '.join(sorted(signed))} signed" if signed else "nobody has signed yet"
    proposed = format_utc(version.proposed_at) if version.proposed_at else "earlier"
    is_definition = version.kind == AgreementKind.DEFINITION
    return InboxItem(
        key=f"proposal-{version.id}-{version.version}",
        title=f"{capital(label)}, “{version.title}”, waits for {waits}",
        count=1,
        page=PAGES[AgreementKind(version.kind)],
        details=(f"Proposed on {proposed}; {others}.",),
        badge=side is not None,
        whatif_version=version.id if is_definition else None,
    )


def versions_starting(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return one row per version signed by both sides that waits for its start (no
    badge: nothing is asked of the reader; the row says what will change, and when)."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    waiting = session.exec(
        select(AgreementVersion)
        .where(AgreementVersion.status == AgreementStatus.SCHEDULED)
        .order_by(col(AgreementVersion.starts_at))
    ).all()
    return [
        InboxItem(
            key=f"starting-{v.id}-{v.version}",
            title=f"{capital(version_label(v))}, “{v.title}”, is signed, starts "
            f"{format_utc(v.starts_at or now)}",
            count=1,
            page=PAGES[AgreementKind(v.kind)],
            details=("The version in force stays until then; withdrawing a signature cancels it.",),
            badge=False,
        )
        for v in waiting
    ]


def reviews_due(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return one row per version in force whose next review date is at most
    REVIEW_NOTICE away, or past."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    items = []
    today = now.date()
    for kind in AgreementKind:
        version = active_version(session, kind)
        due = version.next_review_on if version else None
        if version is None or due is None or due > today + REVIEW_NOTICE:
            continue
        when = (
            f"was due on {due:%Y-%m-%d} ({(today - due).days} days ago)"
            if due < today
            else f"is due on {due:%Y-%m-%d}"
        )
        items.append(
            InboxItem(
                key=f"review-{version.id}",
                title=f"The review of the {version_label(version)} {when}",
                count=1,
                page=PAGES[kind],
                details=("Run the monthly review together, then keep it or draft a new version.",),
                badge=False,
            )
        )
    return items


def whatif_headline(
    session: Session, *, actor: Actor, version_id: int, now: datetime, days: int = WHATIF_DAYS
) -> str:
    """Return one sentence comparing a definition version's MQLs (and precision) with the
    active version's, on the leads created in the last `days` days."""
    since = (now - timedelta(days=days)).date()
    try:
        result = replay(
            session, actor=actor, version_id=version_id, since=since, until=now.date(), now=now
        )
    except InvalidInput as exc:
        return exc.message
    new, old = result.outcomes["candidate"], result.outcomes["baseline"]
    sentence = (
        f"What-if on the {result.leads:,} leads of the last {days} days: "
        f"{new.mqls:,} MQLs against {old.mqls:,} under the active v{result.baseline.number}"
    )
    if new.precision is None or old.precision is None:
        return sentence + "."
    return sentence + f"; precision {new.precision:.0%} against {old.precision:.0%}."
