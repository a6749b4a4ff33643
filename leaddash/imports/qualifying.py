"""After an import: the routing service scores the touched inquiries and routes new MQLs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.core.actor import Actor
from leaddash.routing import qualify_and_route


def qualify(
    session: Session, *, lead_ids: Sequence[int], at: datetime, actor: Actor
) -> tuple[int, int]:
    """Return (new MQLs, leads routed to a rep) after qualifying and routing `lead_ids`;
    (0, 0) without a call when there is none, so a no-op import leaves no audit row."""
    verify_actor(session, actor)
    if not lead_ids:
        return 0, 0
    summary = qualify_and_route(session, lead_ids=lead_ids, at=at, actor=actor)
    return summary.new_mqls, summary.routed
