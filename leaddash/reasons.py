"""The short agreed list of reasons for rejecting, disqualifying or recycling a lead: the
shipped defaults, the reasons a queue action may carry (from the Reason table, or the
defaults), their labels, and the check of a chosen reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from leaddash.errors import InvalidInput
from leaddash.models import Reason, ReasonKind

KIND_WORDS = {"reject": "rejecting", "disqualify": "disqualifying", "recycle": "recycling"}


@dataclass(frozen=True)
class DefaultReason:
    """One reason the app ships with."""

    code: str
    label: str
    kind: str
    needs_min_attempts: bool = False


DEFAULT_REASONS: tuple[DefaultReason, ...] = (
    DefaultReason("misrouted", "Misrouted (wrong team or territory)", ReasonKind.REJECT),
    DefaultReason("bad_data", "Bad data (fake or incomplete contact details)", ReasonKind.REJECT),
    DefaultReason("outside_definition", "Plainly outside the agreed definition", ReasonKind.REJECT),
    DefaultReason(
        "no_fit", "No fit (company or role outside the definition)", ReasonKind.DISQUALIFY
    ),
    DefaultReason("no_need", "No need or no project", ReasonKind.DISQUALIFY),
    DefaultReason("student_job_seeker", "Student or job seeker", ReasonKind.DISQUALIFY),
    DefaultReason("competitor", "Competitor", ReasonKind.DISQUALIFY),
    DefaultReason("existing_customer", "Existing customer", ReasonKind.DISQUALIFY),
    DefaultReason(
        "unable_to_reach",
        "Unable to reach (after the minimum attempts)",
        ReasonKind.DISQUALIFY,
        needs_min_attempts=True,
    ),
    DefaultReason("not_now", "Not now (timing; recycle to nurture)", ReasonKind.RECYCLE),
    DefaultReason("nurture", "Needs nurturing (too early in the journey)", ReasonKind.RECYCLE),
)


def default_reason(code: str) -> DefaultReason:
    """Return the shipped reason with `code`; raises KeyError for an unknown code."""
    for reason in DEFAULT_REASONS:
        if reason.code == code:
            return reason
    raise KeyError(code)


def ensure_default_reasons(session: Session) -> int:
    """Insert the default reasons missing from the Reason table; return how many were added."""
    existing = set(session.exec(select(Reason.code)).all())
    missing = [
        Reason(
            code=r.code,
            label=r.label,
            kind=r.kind,
            needs_min_attempts=r.needs_min_attempts,
            sort_order=(i + 1) * 10,
        )
        for i, r in enumerate(DEFAULT_REASONS)
        if r.code not in existing
    ]
    session.add_all(missing)
    session.flush()
    return len(missing)


def reason_labels(session: Session) -> dict[str, str]:
    """Return every reason code with its label (the shipped ones, then the agreed table)."""
    labels = {r.code: r.label for r in DEFAULT_REASONS}
    labels.update(dict(session.exec(select(Reason.code, Reason.label)).all()))
    return labels


@dataclass(frozen=True)
class ReasonChoice:
    """One reason as a page offers it."""

    code: str
    label: str
    needs_min_attempts: bool = False


def reason_choices(session: Session, kind: str) -> list[ReasonChoice]:
    """Return the active reasons of `kind` in their agreed order (the shipped defaults when
    the Reason table holds none of that kind yet)."""
    rows = session.exec(
        select(Reason)
        .where(Reason.kind == kind, Reason.is_active)
        .order_by(col(Reason.sort_order), col(Reason.id))
    ).all()
    if rows:
        return [ReasonChoice(r.code, r.label, r.needs_min_attempts) for r in rows]
    return [
        ReasonChoice(r.code, r.label, r.needs_min_attempts)
        for r in DEFAULT_REASONS
        if r.kind == kind
    ]


def find_reason(session: Session, kind: str, code: str | None) -> ReasonChoice:
    """Return the active reason `code` of `kind`, or raise InvalidInput listing the choices."""
    choices = reason_choices(session, kind)
    found = next((c for c in choices if c.code == code), None)
    if found is None:
        labels = "; ".join(c.label for c in choices)
        start = "Pick a reason" if not code else f"{code!r} is not a reason"
        raise InvalidInput(
            f"{start} for {KIND_WORDS.get(kind, kind)} this lead: {labels}.", field="reason"
        )
    return found
