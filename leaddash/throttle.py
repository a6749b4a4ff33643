"""The login throttle: failed logins counted per username and per client address, in the
database every app instance shares, so guessing is slow and nobody is locked out for long.

Each budget lets a few failures through free; after them every attempt must wait, twice as
long per further failure and never more than `MAX_WAIT` after the last one. An attempt is
checked against three budgets and waits for the longest:

- its username from its address (`FREE_FAILURES` over `WINDOW`): one stranger guessing a
  username is slowed;
- its username from every address but the user's known one (the address of their last good
  login; `USERNAME_FREE_FAILURES` over `WINDOW`): many addresses guessing one username are
  slowed together. One address alone cannot use this budget up, and an attempt from the
  known address is not held to it, so a stranger's guesses never keep the real user out at
  their usual address, and elsewhere only a many-address attack makes them wait;
- its address, across every username (`ADDRESS_FREE_FAILURES` over `ADDRESS_WINDOW`): one
  address spraying a password over many usernames is slowed.

An attempt refused for waiting is not counted and its password is not checked, so hammering
cannot push a wait further out. A good login forgets its username's failures from its
address and makes that address the user's known one. Unknown usernames are counted like
real ones. Rows are written with plain SQL, outside the unit of work: logins are not data
changes and refresh no cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlmodel import Session

from leaddash.addresses import network_key
from leaddash.audit import record
from leaddash.auth import authenticate
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.errors import LoginThrottled
from leaddash.models import LoginFailure, User

FREE_FAILURES = 5
# Failures of one username from every address but its known one. One address, held to its
# own budget, fails at most 11 times in a WINDOW (tested): only several together reach this.
USERNAME_FREE_FAILURES = 15
WINDOW = timedelta(minutes=15)
ADDRESS_FREE_FAILURES = 10
ADDRESS_WINDOW = timedelta(hours=1)
FIRST_WAIT = timedelta(seconds=15)
MAX_WAIT = timedelta(minutes=5)
USERNAME_KEY_LENGTH = 64
# Past this many doublings the wait is long past MAX_WAIT; stopping keeps the product small.
MAX_DOUBLINGS = 20

FAILURES = LoginFailure.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]
FOR_USERNAME = "Too many failed logins for this username."
FROM_NETWORK = "Too many failed logins from this network."


@dataclass(frozen=True)
class Wait:
    """How long an attempt must still wait, and the sentence that says why."""

    seconds: int
    reason: str


def wait_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """Return how long after the last of `failures` recent failed logins the next may come,
    when the first `free` cost nothing."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, MAX_DOUBLINGS)
    return min(FIRST_WAIT * 2**doublings, MAX_WAIT)


def login_wait_seconds(
    session: Session, username: str, now: datetime, address: str | None = None
) -> int:
    """Return the whole seconds a login for `username` from `address` must wait (0: none)."""
    return _longest_wait(session.connection(), _key(username), network_key(address), now).seconds


def known_address(session: Session, username: str) -> str | None:
    """Return the network of the user's last good login (None: unknown user, or none yet)."""
    return _known_address(session.connection(), _key(username))


def attempt_login(
    engine: Engine, *, username: str, password: str, now: datetime, address: str | None
) -> Actor | None:
    """Return the Actor when the password is right, None when not; raise LoginThrottled while
    the username or the client `address` must wait. The wait is checked, and the attempt
    counted, before the password."""
    key, network = _key(username), network_key(address)
    with write_session(engine) as session:
        _start_attempt(session.connection(), key, network, now)
    with read_session(engine) as session:
        actor = authenticate(session, username, password)
    with write_session(engine) as session:
        if actor is None:
            _audit_if_throttled(session, key, network, now)
        else:
            _remember_success(session.connection(), key, network)
    return actor


def _key(username: str) -> str:
    return username.strip().lower()[:USERNAME_KEY_LENGTH]


def _start_attempt(connection: Connection, key: str, network: str | None, now: datetime) -> None:
    # Counted as failed until the password proves right: parallel guesses see each other.
    wait = _longest_wait(connection, key, network, now)
    if wait.seconds:
        raise LoginThrottled(
            f"{wait.reason} Wait {_duration(wait.seconds)}, then try again.",
            wait_seconds=wait.seconds,
        )
    oldest = now - max(WINDOW, ADDRESS_WINDOW)
    connection.execute(delete(FAILURES).where(FAILURES.c.failed_at <= oldest))
    connection.execute(insert(FAILURES).values(username=key, address=network, failed_at=now))


def _longest_wait(connection: Connection, key: str, network: str | None, now: datetime) -> Wait:
    known = _known_address(connection, key)
    username, recent = FAILURES.c.username == key, FAILURES.c.failed_at > now - WINDOW
    waits = [
        _wait(connection, now, FREE_FAILURES, FOR_USERNAME, username, _from(network), recent),
        _wait(
            connection,
            now,
            ADDRESS_FREE_FAILURES,
            FROM_NETWORK,
            _from(network),
            FAILURES.c.failed_at > now - ADDRESS_WINDOW,
        ),
    ]
    if known is None or network != known:
        waits.append(
            _wait(
                connection,
                now,
                USERNAME_FREE_FAILURES,
                FOR_USERNAME,
                username,
                _not_from(known),
                recent,
            )
        )
    return max(waits, key=lambda wait: wait.seconds)


def _wait(
    connection: Connection, now: datetime, free: int, reason: str, *where: ColumnElement[bool]
) -> Wait:
    count, last = connection.execute(
        select(func.count(), func.max(FAILURES.c.failed_at)).where(*where)
    ).one()
    if not count:
        return Wait(0, reason)
    seconds = math.ceil((last + wait_after(count, free) - now).total_seconds())
    return Wait(max(0, seconds), reason)


def _from(network: str | None) -> ColumnElement[bool]:
    return FAILURES.c.address.is_(None) if network is None else FAILURES.c.address == network


def _not_from(known: str | None) -> ColumnElement[bool]:
    if known is None:
        return true()  # no known address yet: every address counts
    return or_(FAILURES.c.address.is_(None), FAILURES.c.address != known)


def _known_address(connection: Connection, key: str) -> str | None:
    return connection.execute(
        select(USERS.c.last_login_address).where(USERS.c.username == key)
    ).scalar()


def _remember_success(connection: Connection, key: str, network: str | None) -> None:
    connection.execute(delete(FAILURES).where(FAILURES.c.username == key, _from(network)))
    if network is not None:
        # A plain UPDATE: the row's version stays, so nobody's open edit of the user conflicts.
        connection.execute(
            update(USERS).where(USERS.c.username == key).values(last_login_address=network)
        )


def _audit_if_throttled(session: Session, key: str, network: str | None, now: datetime) -> None:
    wait = _longest_wait(session.connection(), key, network, now)
    if wait.seconds:
        record(
            session,
            actor=None,
            action="login.throttled",
            entity="login",
            after={
                "username": key,
                "address": network,
                "wait_seconds": wait.seconds,
                "reason": wait.reason,
            },
        )


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    parts = [_count(minutes, "minute"), _count(rest, "second")]
    return " ".join(part for part in parts if part)


def _count(number: int, unit: str) -> str:
    if not number:
        return ""
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"
