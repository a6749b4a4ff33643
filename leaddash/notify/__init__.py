"""Notifications: an outbox written in the event's transaction, sent by a leased worker
over email (SMTP) and Slack- or Teams-compatible webhooks."""

from leaddash.notify.enqueue import notify
from leaddash.notify.events import EVENT_LABELS, Event
from leaddash.notify.hooks import (
    notify_dispute_raised,
    notify_dispute_ruled,
    notify_proposal,
    notify_sla_alert,
)

__all__ = [
    "EVENT_LABELS",
    "Event",
    "notify",
    "notify_dispute_raised",
    "notify_dispute_ruled",
    "notify_proposal",
    "notify_sla_alert",
]
