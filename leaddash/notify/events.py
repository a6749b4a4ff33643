"""The events LeadDash notifies about, with the words a user reads when choosing them."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    SLA_ESCALATION = "sla_escalation"
    PROPOSAL = "proposal_awaiting_signature"
    DISPUTE_RAISED = "dispute_raised"
    DISPUTE_RULED = "dispute_ruled"
    DAILY_DIGEST = "daily_digest"
    REVIEW = "monthly_review"


EVENT_LABELS: dict[str, str] = {
    Event.SLA_WARNING: "A lead of mine is about to miss its SLA deadline",
    Event.SLA_BREACH: "A lead missed its SLA deadline (mine, or my team's)",
    Event.SLA_ESCALATION: "A breached lead of my team is still untouched",
    Event.PROPOSAL: "A definition or SLA version waits for my side's signature",
    Event.DISPUTE_RAISED: "Marketing disputed a sales decision",
    Event.DISPUTE_RULED: "A sales leader ruled on a dispute I raised",
    Event.DAILY_DIGEST: "Daily digest of my team's breaches and leads at risk",
    Event.REVIEW: "The monthly review (HTML report)",
}
