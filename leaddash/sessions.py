"""The throttle on failed logins, shared by every app instance through the database (the
logins themselves are in leaddash.logins).

The throttle counts a username's failed logins over a sliding window. After a few, each
further attempt must wait, twice as long per failure and never more than `MAX_WAIT` after
the last one; an attempt refused for waiting is not counted, so hammering a username cannot
push the wait further out, and once the failures leave the window the username is free.

Rows here are written with plain SQL, outside the unit of work: login attempts are not data
changes, so they leave no row-by-row audit trail and do not refresh every cache.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlmodel import Session

from leaddash.audit import Actor, record
from leaddash.auth import authenticate
from leaddash.db import read_session, write_session
from leaddash.errors import LoginThrottled
from leaddash.models import LoginFailure

FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=15)
MAX_WAIT = timedelta(minutes=5)
WINDOW = timedelta(minutes=15)
USERNAME_KEY_LENGTH = 64
# Past this many doublings the wait is long past MAX_WAIT; stopping keeps the product small.
MAX_DOUBLINGS = 20

FAILURES = LoginFailure.__table__


def wait_after(failures: int) -> timedelta:
    """Return how long after the last of `failures` recent failed logins the next may come."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, MAX_DOUBLINGS)
    return min(FIRST_WAIT * 2**doublings, MAX_WAIT)


def login_wait_seconds(session: Session, username: str, now: datetime) -> int:
    """Return the whole seconds `username` must wait before its next login attempt (0: none)."""
    count, last = session.connection().execute(
        select(func.count(), func.max(FAILURES.c.failed_at))
        .where(FAILURES.c.username == _key(username), FAILURES.c.failed_at > now - WINDOW)).one()
    if not count:
        return 0
    return max(0, math.ceil((last + wait_after(count) - now).total_seconds()))


def attempt_login(engine: Engine, *, username: str, password: str, now: datetime) -> Actor | None:
    """Return the Actor when the password is right, None when not; raise LoginThrottled while
    the username must wait. The wait is checked, and the attempt counted, before the password."""
    with write_session(engine) as session:
        _start_attempt(session, username, now)
    with read_session(engine) as session:
        actor = authenticate(session, username, password)
    with write_session(engine) as session:
        if actor is None:
            _audit_if_throttled(session, username, now)
        else:
            _forget_failures(session, username)
    return actor


def _key(username: str) -> str:
    return username.strip().lower()[:USERNAME_KEY_LENGTH]


def _start_attempt(session: Session, username: str, now: datetime) -> None:
    # Counted as failed until the password proves right: parallel guesses see each other.
    wait = login_wait_seconds(session, username, now)
    if wait:
        raise LoginThrottled(
            f"Too many failed logins for this username. Wait {_seconds(wait)}, then try again.",
            wait_seconds=wait)
    connection = session.connection()
    connection.execute(delete(FAILURES).where(FAILURES.c.failed_at <= now - WINDOW))
    connection.execute(insert(FAILURES).values(username=_key(username), failed_at=now))


def _forget_failures(session: Session, username: str) -> None:
    session.connection().execute(delete(FAILURES).where(FAILURES.c.username == _key(username)))


def _audit_if_throttled(session: Session, username: str, now: datetime) -> None:
    wait = login_wait_seconds(session, username, now)
    if wait:
        record(session, actor=None, action="login.throttled", entity="login",
               after={"username": _key(username), "wait_seconds": wait})


def _seconds(count: int) -> str:
    return "1 second" if count == 1 else f"{count} seconds"
