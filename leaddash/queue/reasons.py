"""The agreed reasons a queue action may carry, from the Reason table (or the defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from leaddash.errors import InvalidInput
from leaddash.models import Reason
from leaddash.reasons import DEFAULT_REASONS

KIND_WORDS = {"reject": "rejecting", "disqualify": "disqualifying", "recycle": "recycling"}


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
        select(Reason).where(Reason.kind == kind, Reason.is_active)
        .order_by(col(Reason.sort_order), col(Reason.id))
    ).all()
    if rows:
        return [ReasonChoice(r.code, r.label, r.needs_min_attempts) for r in rows]
    return [ReasonChoice(r.code, r.label, r.needs_min_attempts)
            for r in DEFAULT_REASONS if r.kind == kind]


def find_reason(session: Session, kind: str, code: str | None) -> ReasonChoice:
    """Return the active reason `code` of `kind`, or raise InvalidInput listing the choices."""
    choices = reason_choices(session, kind)
    found = next((c for c in choices if c.code == code), None)
    if found is None:
        labels = "; ".join(c.label for c in choices)
        start = "Pick a reason" if not code else f"{code!r} is not a reason"
        raise InvalidInput(f"{start} for {KIND_WORDS.get(kind, kind)} this lead: {labels}.",
                           field="reason")
    return found
