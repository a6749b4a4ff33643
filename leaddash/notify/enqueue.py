"""Writing notifications to the outbox, in the caller's transaction (never committed here).

A service that causes an event calls `notify` inside its own write session: the rows are
committed with the event or rolled back with it. Each user's saved choices decide the
channels (no saved choice: email); a user who asked for quiet hours gets the row held until
the next opening of the SLA calendar. A row's dedupe key is the event's key plus the
recipient and channel, inserted with "on conflict do nothing", so an event repeated (a sweep
passing again, two workers racing) writes each message once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from leaddash.agreements.reads import active_version
from leaddash.models import AgreementKind, User, table_of, utcnow
from leaddash.notify_tables import (
    Channel,
    Notification,
    NotifyChoice,
    NotifyPreference,
    OutboxStatus,
)
from leaddash.sla import business_deadline

MAX_SUBJECT = 300


@dataclass(frozen=True)
class Message:
    """What one event says: the same words for each recipient."""

    event: str
    subject: str
    text: str
    dedupe_key: str
    link: str | None = None
    html: str | None = None


def notify(
    session: Session,
    *,
    event: str,
    user_ids: Iterable[int | None],
    subject: str,
    text: str,
    dedupe_key: str,
    link: str | None = None,
    html: str | None = None,
    now: datetime | None = None,
) -> int:
    """Return how many outbox rows were written for `event` to the active users among
    `user_ids`, each on the channels they chose, in the caller's transaction."""
    message = Message(event, subject[:MAX_SUBJECT], text, dedupe_key, link, html)
    return enqueue(session, message, user_ids, now=now or utcnow())


def enqueue(
    session: Session, message: Message, user_ids: Iterable[int | None], *, now: datetime
) -> int:
    """Return how many rows `message` added to the outbox for the active users of `user_ids`."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return 0
    users = session.exec(select(User).where(col(User.id).in_(ids), col(User.is_active))).all()
    preferences = {
        p.user_id: p
        for p in session.exec(
            select(NotifyPreference).where(col(NotifyPreference.user_id).in_(ids))
        ).all()
    }
    choices = session.exec(
        select(NotifyChoice).where(
            col(NotifyChoice.user_id).in_(ids), NotifyChoice.event == message.event
        )
    ).all()
    opening = _Opening(session, now)
    rows = [
        _row(message, user, channel, webhook, opening, preferences.get(user.id or 0))
        for user in users
        for channel, webhook in _channels(user, preferences, choices)
    ]
    return _insert(session, rows)


def _channels(
    user: User, preferences: dict[int, NotifyPreference], choices: Iterable[NotifyChoice]
) -> list[tuple[str, str]]:
    if user.id not in preferences:
        return [(Channel.EMAIL, "")]
    return sorted((c.channel, c.webhook) for c in choices if c.user_id == user.id)


class _Opening:
    """The next opening of the active SLA's business calendar, worked out once per call."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session, self.now = session, now
        self._at: datetime | None = None

    def at(self) -> datetime:
        if self._at is None:
            sla = active_version(self._session, AgreementKind.SLA)
            calendar = (sla.content or {}).get("calendar") if sla else None
            self._at = business_deadline(self.now, 0, calendar) if calendar else self.now
        return self._at


def _row(
    message: Message,
    user: User,
    channel: str,
    webhook: str,
    opening: _Opening,
    preference: NotifyPreference | None,
) -> dict[str, Any]:
    quiet = preference is not None and preference.business_hours_only
    row: dict[str, Any] = {
        "event": message.event,
        "user_id": user.id,
        "channel": channel,
        "target": webhook if channel == Channel.WEBHOOK else (user.email or ""),
        "subject": message.subject,
        "body": message.text,
        "html": message.html,
        "link": message.link,
        "dedupe_key": f"{message.dedupe_key}|u{user.id}|{channel}|{webhook}",
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": opening.at() if quiet else opening.now,
        "last_error": None,
        "created_at": opening.now,
    }
    if channel == Channel.EMAIL and not user.email:
        # Kept, not dropped: the admin sees why, adds the address, and resends.
        row["status"] = OutboxStatus.FAILED
        row["last_error"] = (
            f"{user.name} ({user.username}) has no email address. Add one under Users and "
            "teams, then resend."
        )
    return row


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = table_of(Notification)
    dialect = session.get_bind().dialect.name
    statement: Insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    done = statement.values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])  # type: ignore[attr-defined]
    return len(session.connection().execute(done.returning(table.c.id)).all())
