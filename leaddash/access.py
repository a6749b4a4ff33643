"""Every service's check of the acting user against the database, before it reads or writes.

An Actor is a plain value a page built when it loaded; by the time a click reaches a
service the user may have been deactivated, given another role or team, or logged out in
another tab. `verify_actor` re-reads the user row and the login row (one indexed query, once
per transaction) and raises LoginEnded, saying why in plain words, when they no longer
agree. `authorize` is that check followed by the role check every service makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from leaddash.auth import actor_for, require
from leaddash.config import LoginLimits, login_limits
from leaddash.core.actor import Actor
from leaddash.db import WRITE_OPTION
from leaddash.errors import LoginEnded
from leaddash.models import LoginSession, Team, User, utcnow

LOGINS = LoginSession.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]
VERIFIED = "leaddash_verified_actors"

# Why a login ended, as its owner reads it: "Your login has ended (…): log in again."
LOGGED_OUT = "you logged out in another tab or window"
ENDED_BY_ADMIN = "an admin ended your logins"
PASSWORD_CHANGED = "your password was changed"
DEACTIVATED = "your account was deactivated"
NOT_ON_RECORD = "it is no longer on record"
USER_GONE = "your account no longer exists"


def role_changed(role: str) -> str:
    """Return the reason a login ends when its user's role changes to `role`."""
    return f"your role changed to {role.replace('_', ' ')}"


def team_changed(team: str | None) -> str:
    """Return the reason a login ends when its user moves to `team` (None: out of any)."""
    return f"you moved to team {team}" if team else "you were taken out of your team"


def idle_reason(limits: LoginLimits) -> str:
    """Return the reason a login unused for longer than the idle limit has ended."""
    return f"you were away for more than {_hours(limits.idle.total_seconds() / 3600)}"


def lifetime_reason(limits: LoginLimits) -> str:
    """Return the reason a login older than the longest a login may last has ended."""
    days = limits.lifetime.total_seconds() / 86400
    return f"you logged in more than {days:g} day{'' if days == 1 else 's'} ago"


def _hours(hours: float) -> str:
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def ended_reason(login: Any, now: datetime, limits: LoginLimits | None = None) -> str | None:
    """Return why the login row `login` has ended, or None while it is live."""
    limits = limits or login_limits()
    if login.ended_at is not None:
        return login.ended_reason or LOGGED_OUT
    if login.last_seen_at <= now - limits.idle:
        return idle_reason(limits)
    if login.created_at <= now - limits.lifetime:
        return lifetime_reason(limits)
    return None


def verify_actor(session: Session, actor: Actor | None, *, now: datetime | None = None) -> None:
    """Raise LoginEnded unless `actor` is still what the database says: an active user with
    the same role and team, acting under a live login of their own. The command line (no
    user id) and internal steps acting for nobody (None) are not checked; an actor is
    checked once per transaction."""
    if actor is None or actor.id is None:
        return
    checked = session.info.setdefault(VERIFIED, set())
    if actor in checked:
        return
    reason = _stale_reason(session, actor, now or utcnow())
    if reason:
        raise LoginEnded(reason)
    checked.add(actor)


def authorize(session: Session, actor: Actor, action: str, what: str) -> None:
    """Check the actor against the database (`verify_actor`), then that their role allows
    `action` (`require`, naming `what` when refused)."""
    verify_actor(session, actor)
    require(actor, action, what)


def login_actor(session: Session, *, digest: str, now: datetime) -> tuple[Actor, datetime]:
    """Return the Actor of the live login `digest` and when it was last used; raise
    LoginEnded saying why when it has ended or its user is deactivated."""
    row = session.execute(
        select(
            User,
            LOGINS.c.created_at,
            LOGINS.c.last_seen_at,
            LOGINS.c.ended_at,
            LOGINS.c.ended_reason,
        )
        .join_from(User, LOGINS, LOGINS.c.user_id == User.id)
        .where(LOGINS.c.token_sha256 == digest)
    ).first()
    if row is None:
        raise LoginEnded(NOT_ON_RECORD)
    reason = ended_reason(row, now) or (None if row.User.is_active else DEACTIVATED)
    if reason:
        raise LoginEnded(reason)
    return actor_for(row.User, login=digest), row.last_seen_at


def _stale_reason(session: Session, actor: Actor, now: datetime) -> str | None:
    row = _actor_row(session, actor)
    if row is None:
        return NOT_ON_RECORD if actor.login else USER_GONE
    if actor.login:
        if row.login_user_id != actor.id:
            return NOT_ON_RECORD
        if row.ended_at is not None:
            return row.ended_reason or LOGGED_OUT
    if not row.is_active:
        return DEACTIVATED
    if row.role != actor.role:
        return role_changed(row.role)
    if row.team_id != actor.team_id:
        team = session.get(Team, row.team_id) if row.team_id else None
        return team_changed(team.name if team else None)
    return ended_reason(row, now) if actor.login else None


def _actor_row(session: Session, actor: Actor) -> Any:
    """Return the actor's user row (is_active, role, team_id) and, when they act under a
    login, that login's columns: one query on two primary keys."""
    columns = [USERS.c.is_active, USERS.c.role, USERS.c.team_id]
    query = select(*columns).where(USERS.c.id == actor.id)
    if actor.login:
        query = (
            select(
                *columns,
                LOGINS.c.user_id.label("login_user_id"),
                LOGINS.c.created_at,
                LOGINS.c.last_seen_at,
                LOGINS.c.ended_at,
                LOGINS.c.ended_reason,
            )
            .join_from(USERS, LOGINS, LOGINS.c.token_sha256 == actor.login)
            .where(USERS.c.id == actor.id)
        )
    if _writing_on_postgresql(session):
        # Held to the end of the transaction: a deactivation or logout committing meanwhile
        # waits for this write, or this write sees it (SQLite writers queue anyway).
        query = query.with_for_update(read=True)
    return session.execute(query).first()


def _writing_on_postgresql(session: Session) -> bool:
    connection = session.connection()
    return connection.dialect.name == "postgresql" and bool(
        connection.get_execution_options().get(WRITE_OPTION)
    )


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _forget_checks(session: OrmSession) -> None:
    # A later transaction on the same session checks again.
    session.info.pop(VERIFIED, None)
