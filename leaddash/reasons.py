"""The short agreed list of reasons for rejecting, disqualifying or recycling a lead."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from leaddash.models import Reason, ReasonKind


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
    DefaultReason("outside_definition", "Plainly outside the agreed definition",
                  ReasonKind.REJECT),
    DefaultReason("no_fit", "No fit (company or role outside the definition)",
                  ReasonKind.DISQUALIFY),
    DefaultReason("no_need", "No need or no project", ReasonKind.DISQUALIFY),
    DefaultReason("student_job_seeker", "Student or job seeker", ReasonKind.DISQUALIFY),
    DefaultReason("competitor", "Competitor", ReasonKind.DISQUALIFY),
    DefaultReason("existing_customer", "Existing customer", ReasonKind.DISQUALIFY),
    DefaultReason("unable_to_reach", "Unable to reach (after the minimum attempts)",
                  ReasonKind.DISQUALIFY, needs_min_attempts=True),
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
        Reason(code=r.code, label=r.label, kind=r.kind, needs_min_attempts=r.needs_min_attempts,
               sort_order=(i + 1) * 10)
        for i, r in enumerate(DEFAULT_REASONS)
        if r.code not in existing
    ]
    session.add_all(missing)
    session.flush()
    return len(missing)
