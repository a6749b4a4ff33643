"""Tiny factories for the notification tests: people with email addresses, the outbox read
back, and an SLA made active."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, User
from leaddash.notify_tables import Notification
from leaddash.sla import default_sla_content
from tests.conftest import make_user


def person(engine: Engine, username: str, role: str, team: str | None = None) -> Actor:
    """Create a user with the address <username>@example.com and return its Actor."""
    actor = make_user(engine, username, role, team=team)
    with write_session(engine) as session:
        session.get_one(User, actor.id).email = f"{username}@example.com"
    return actor


def outbox(engine: Engine) -> list[Notification]:
    """Return every outbox row, in the order written."""
    with read_session(engine) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))).all())


def activate_default_sla(engine: Engine) -> dict:
    """Make the starting SLA (New York hours, Mon–Fri 09–17) the active one; return its calendar."""
    content = default_sla_content()
    with write_session(engine) as session:
        session.add(
            AgreementVersion(
                kind=AgreementKind.SLA,
                number=1,
                title="SLA v1",
                status=AgreementStatus.ACTIVE,
                content=content,
                effective_from=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
    return content["calendar"]


def utc(text: str) -> datetime:
    """Return "2026-12-07 15:00" as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
