"""Each user's own notification choices: which of the events meant for their role come by
email, which to a team's webhook, and whether to hold them outside business hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from leaddash.access import verify_actor
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Role, User, stored_id, utcnow
from leaddash.notify.events import Event
from leaddash.notify_tables import Channel, NotifyChoice, NotifyPreference, Webhook

_SLA_OWNER = (Event.SLA_WARNING, Event.SLA_BREACH)
EVENTS_FOR_ROLE: dict[str, tuple[str, ...]] = {
    Role.ADMIN: (*_SLA_OWNER, Event.DISPUTE_RULED),
    Role.MARKETING_LEADER: (Event.PROPOSAL, Event.DISPUTE_RULED, Event.REVIEW),
    Role.SALES_LEADER: (*_SLA_OWNER, Event.PROPOSAL, Event.DISPUTE_RAISED, Event.REVIEW),
    Role.SALES_MANAGER: (*_SLA_OWNER, Event.SLA_ESCALATION, Event.DAILY_DIGEST),
    Role.REP: _SLA_OWNER,
    Role.MARKETING: (Event.DISPUTE_RULED,),
}


@dataclass(frozen=True)
class MyNotifications:
    """A user's choices as their form shows them. Never saved: every event by email."""

    events: tuple[str, ...]
    by_email: frozenset[str]
    by_webhook: Mapping[str, str]
    business_hours_only: bool
    email: str | None
    webhooks: tuple[str, ...]


def _own_user(session: Session, actor: Actor) -> User:
    verify_actor(session, actor)
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise InvalidInput("Only a signed-in user has notification choices.")
    return user


def my_notifications(session: Session, *, actor: Actor) -> MyNotifications:
    """Return the actor's own notification choices and the webhooks they may pick."""
    user = _own_user(session, actor)
    events = EVENTS_FOR_ROLE.get(user.role, ())
    saved = session.get(NotifyPreference, user.id)
    choices = session.exec(select(NotifyChoice).where(NotifyChoice.user_id == user.id)).all()
    return MyNotifications(
        events=events,
        by_email=frozenset(
            events if saved is None else (c.event for c in choices if c.channel == Channel.EMAIL)
        ),
        by_webhook={c.event: c.webhook for c in choices if c.channel == Channel.WEBHOOK},
        business_hours_only=bool(saved and saved.business_hours_only),
        email=user.email,
        webhooks=tuple(session.exec(select(Webhook.name).order_by(col(Webhook.name))).all()),
    )


def save_my_notifications(
    session: Session,
    *,
    actor: Actor,
    by_email: Iterable[str],
    by_webhook: Mapping[str, str],
    business_hours_only: bool,
) -> MyNotifications:
    """Return the actor's choices as saved: events by email, events to a webhook (by its
    name; "" for none), and quiet hours."""
    user = _own_user(session, actor)
    offered = EVENTS_FOR_ROLE.get(user.role, ())
    email_events = sorted(set(by_email))
    hooks = {event: name for event, name in by_webhook.items() if name}
    for event in [*email_events, *hooks]:
        if event not in offered:
            raise InvalidInput(f"{event!r} is not an event you can be told about.", field="events")
    known = set(session.exec(select(Webhook.name)).all())
    for name in hooks.values():
        if name not in known:
            raise InvalidInput(
                f"There is no webhook called {name!r}: pick one an admin has added.",
                field="webhook",
            )
    user_id = stored_id(user)
    act_as(session, actor, "notify.preferences")
    session.exec(delete(NotifyChoice).where(col(NotifyChoice.user_id) == user.id))
    session.add_all(
        [NotifyChoice(user_id=user_id, event=e, channel=Channel.EMAIL) for e in email_events]
        + [
            NotifyChoice(user_id=user_id, event=e, channel=Channel.WEBHOOK, webhook=name)
            for e, name in sorted(hooks.items())
        ]
    )
    preference = session.get(NotifyPreference, user.id) or NotifyPreference(user_id=user_id)
    preference.business_hours_only, preference.updated_at = business_hours_only, utcnow()
    session.add(preference)
    session.flush()
    return my_notifications(session, actor=actor)
