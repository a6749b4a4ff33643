"""Logins the server holds: one row per login, keyed by a digest of the random token the
login cookie carries (the token itself is never stored).

A login starts after a right password and ends at logout, when its user is deactivated,
changes role or team or password, when an admin ends it, or by itself after the idle limit
or the longest a login may last. An ended login never comes back: reactivating a user
leaves their old logins ended. Starting, using and ending logins writes with plain SQL,
outside the unit of work: these are not data changes, so they leave no row-by-row audit
trail and refresh no cache (an admin's "end logins" leaves one audit row).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session

from leaddash.access import ENDED_BY_ADMIN, LOGGED_OUT, authorize, login_actor
from leaddash.audit import record
from leaddash.auth import get_user
from leaddash.config import login_limits
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.models import LoginSession, stored_id, utcnow

LOGINS = LoginSession.__table__  # type: ignore[attr-defined]
TOKEN_BYTES = 32
# A login's last use is written at most this often (a click a second must not write each).
TOUCH_EVERY = timedelta(minutes=1)
# Ended and expired logins are kept this long past the longest a login may last, then
# dropped when someone logs in.
KEEP_AFTER_EXPIRY = timedelta(days=1)
ADDRESS_LENGTH = 64
REASON_LENGTH = 80


def login_digest(token: str, key: str) -> str:
    """Return the hex digest that stands for a login token: HMAC-SHA-256 under the cookie
    key, so a new key ends every login made under the old one."""
    return hmac.new(key.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def start_login(
    session: Session, *, user_id: int, key: str, now: datetime, address: str | None = None
) -> tuple[str, str]:
    """Record a new login of the user and return (the token for the cookie, its digest)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = login_digest(token, key)
    connection = session.connection()
    connection.execute(
        delete(LOGINS).where(
            LOGINS.c.created_at < now - login_limits().lifetime - KEEP_AFTER_EXPIRY
        )
    )
    connection.execute(
        insert(LOGINS).values(
            token_sha256=digest,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            address=(address or None) and address[:ADDRESS_LENGTH],
        )
    )
    return token, digest


def resume_login(engine: Engine, *, digest: str, now: datetime) -> Actor:
    """Return the Actor of the live login `digest`, noting its use; raise LoginEnded saying
    why when it has ended."""
    with read_session(engine) as session:
        actor, last_seen = login_actor(session, digest=digest, now=now)
    if now - last_seen >= TOUCH_EVERY:
        with write_session(engine) as session:
            touch_login(session, digest=digest, now=now)
    return actor


def touch_login(session: Session, *, digest: str, now: datetime) -> None:
    """Mark the live login `digest` as used at `now` (unless it was, within a minute)."""
    session.connection().execute(
        update(LOGINS)
        .where(
            LOGINS.c.token_sha256 == digest,
            LOGINS.c.ended_at.is_(None),
            LOGINS.c.last_seen_at < now - TOUCH_EVERY,
        )
        .values(last_seen_at=now)
    )


def end_login(
    session: Session, *, digest: str, now: datetime | None = None, reason: str = LOGGED_OUT
) -> bool:
    """End one login (a logout); return True when it was still going."""
    result = session.connection().execute(
        update(LOGINS)
        .where(LOGINS.c.token_sha256 == digest, LOGINS.c.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason[:REASON_LENGTH])
    )
    return result.rowcount > 0


def end_user_logins(
    session: Session,
    *,
    user_id: int,
    reason: str,
    now: datetime | None = None,
    keep: str | None = None,
) -> int:
    """End every login of the user but `keep` (a digest), in the caller's transaction;
    return how many were still going. Callers check who may do this."""
    ending = update(LOGINS).where(LOGINS.c.user_id == user_id, LOGINS.c.ended_at.is_(None))
    if keep:
        ending = ending.where(LOGINS.c.token_sha256 != keep)
    result = session.connection().execute(
        ending.values(ended_at=now or utcnow(), ended_reason=reason[:REASON_LENGTH])
    )
    return result.rowcount


def end_logins(
    session: Session, *, actor: Actor, username: str, reason: str = ENDED_BY_ADMIN
) -> int:
    """End every login of `username` (admins only; one audit row); return how many were
    still going. Their open tabs are refused at the next click."""
    authorize(session, actor, "manage_users", "end other people's logins")
    user = get_user(session, username)
    ended = end_user_logins(session, user_id=stored_id(user), reason=reason)
    record(
        session,
        actor=actor,
        action="user.end_logins",
        entity="app_user",
        entity_id=user.id,
        after={"logins_ended": ended},
    )
    return ended
