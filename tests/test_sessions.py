"""The login throttle, shared through the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from leaddash import throttle
from leaddash.db import read_session
from leaddash.errors import LoginThrottled
from leaddash.models import AuditLog, DataVersion, LoginFailure, Role
from leaddash.throttle import MAX_WAIT, attempt_login, login_wait_seconds
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
WRONG = "not-the-password"
ADDRESS = "198.51.100.7"  # every attempt here comes from one client address


def fail(
    engine,
    times: int,
    *,
    start: datetime = T0,
    every: timedelta = timedelta(seconds=1),
    username: str = "ann",
) -> datetime:
    """Make `times` wrong-password logins, `every` apart from `start`; return the last time."""
    at = start
    for i in range(times):
        at = start + i * every
        assert (
            attempt_login(engine, username=username, password=WRONG, now=at, address=ADDRESS)
            is None
        )
    return at


def wait_at(engine, now: datetime, username: str = "ann") -> int:
    with read_session(engine) as session:
        return login_wait_seconds(session, username, now, ADDRESS)


def count(engine, model) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_login_attempts_neither_audit_nor_move_the_data_version(engine):
    make_user(engine, "ann", Role.REP)
    audits = count(engine, AuditLog)
    with read_session(engine) as session:
        versions = session.exec(select(DataVersion.counter)).all()

    assert attempt_login(engine, username="ann", password=WRONG, now=T0, address=ADDRESS) is None
    assert (
        attempt_login(engine, username="ann", password=TEST_PASSWORD, now=T0, address=ADDRESS)
        is not None
    )

    with read_session(engine) as session:
        assert session.exec(select(DataVersion.counter)).all() == versions
    assert count(engine, AuditLog) == audits


# --- throttle ---


def test_the_first_failures_cost_no_wait(engine):
    make_user(engine, "ann", Role.REP)

    last = fail(engine, throttle.FREE_FAILURES - 1)

    assert wait_at(engine, last) == 0
    assert (
        attempt_login(engine, username="ann", password=TEST_PASSWORD, now=last, address=ADDRESS)
        is not None
    )


def test_after_five_failures_even_the_right_password_waits_and_is_told_how_long(engine):
    make_user(engine, "ann", Role.REP)
    last = fail(engine, 5)

    with pytest.raises(LoginThrottled) as refused:
        attempt_login(
            engine,
            username="ann",
            password=TEST_PASSWORD,
            now=last + timedelta(seconds=5),
            address=ADDRESS,
        )

    assert refused.value.wait_seconds == 10
    assert refused.value.message == (
        "Too many failed logins for this username. Wait 10 seconds, then try again."
    )


def test_the_right_password_works_once_the_wait_is_over(engine):
    make_user(engine, "ann", Role.REP)
    last = fail(engine, 5)

    actor = attempt_login(
        engine,
        username="ann",
        password=TEST_PASSWORD,
        now=last + timedelta(seconds=15),
        address=ADDRESS,
    )

    assert actor is not None and actor.username == "ann"


def test_the_wait_doubles_with_each_failure_up_to_the_cap(engine):
    make_user(engine, "ann", Role.REP)
    waits = []
    at = fail(engine, 4)
    for _ in range(7):
        at += timedelta(seconds=wait_at(engine, at))
        assert (
            attempt_login(engine, username="ann", password=WRONG, now=at, address=ADDRESS) is None
        )
        waits.append(wait_at(engine, at))

    assert waits == [15, 30, 60, 120, 240, 300, 300]


def test_a_success_forgets_the_failures(engine):
    make_user(engine, "ann", Role.REP)
    last = fail(engine, 5)
    assert (
        attempt_login(
            engine,
            username="ann",
            password=TEST_PASSWORD,
            now=last + timedelta(seconds=15),
            address=ADDRESS,
        )
        is not None
    )

    again = fail(engine, 4, start=last + timedelta(seconds=20))

    assert wait_at(engine, again) == 0
    assert count(engine, LoginFailure) == 4


def test_failures_leave_the_sliding_window(engine):
    make_user(engine, "ann", Role.REP)
    fail(engine, 5, every=timedelta(minutes=3))  # at 0, 3, 6, 9 and 12 minutes

    assert wait_at(engine, T0 + timedelta(minutes=12, seconds=1)) == 14
    # At minute 15.5 the first failure has left the window: four count, none is owed.
    assert wait_at(engine, T0 + timedelta(minutes=15, seconds=30)) == 0


def test_old_failures_are_pruned_by_the_next_attempt(engine):
    make_user(engine, "ann", Role.REP)
    fail(engine, 3)

    fail(engine, 1, start=T0 + throttle.ADDRESS_WINDOW + timedelta(minutes=1), username="bob")

    with read_session(engine) as session:
        assert session.exec(select(LoginFailure.username)).all() == ["bob"]


def test_hammering_during_a_wait_does_not_push_it_further_out(engine):
    make_user(engine, "ann", Role.REP)
    last = fail(engine, 6, every=timedelta(seconds=15))  # the sixth owes 30 seconds
    for second in range(1, 30):
        with pytest.raises(LoginThrottled):
            attempt_login(
                engine,
                username="ann",
                password=WRONG,
                now=last + timedelta(seconds=second),
                address=ADDRESS,
            )

    actor = attempt_login(
        engine,
        username="ann",
        password=TEST_PASSWORD,
        now=last + timedelta(seconds=30),
        address=ADDRESS,
    )

    assert actor is not None


def test_an_attacker_never_keeps_the_user_out_longer_than_the_cap(engine):
    make_user(engine, "ann", Role.REP)
    at, last_heard, longest_shut = T0, T0, timedelta(0)
    while at < T0 + timedelta(hours=1):  # a wrong guess every 10 seconds for an hour
        try:
            attempt_login(engine, username="ann", password=WRONG, now=at, address=ADDRESS)
            longest_shut, last_heard = max(longest_shut, at - last_heard), at
        except LoginThrottled as refused:
            assert 0 < refused.wait_seconds <= MAX_WAIT.total_seconds()
        at += timedelta(seconds=10)

    assert longest_shut == MAX_WAIT
    actor = attempt_login(
        engine, username="ann", password=TEST_PASSWORD, now=at + MAX_WAIT, address=ADDRESS
    )
    assert actor is not None


def test_each_username_has_its_own_count(engine):
    make_user(engine, "ann", Role.REP)
    make_user(engine, "bob", Role.REP)
    last = fail(engine, 5, username="bob")

    assert (
        attempt_login(engine, username="ann", password=TEST_PASSWORD, now=last, address=ADDRESS)
        is not None
    )
    with pytest.raises(LoginThrottled):
        attempt_login(engine, username="bob", password=TEST_PASSWORD, now=last, address=ADDRESS)


def test_unknown_usernames_are_throttled_like_real_ones(engine):
    last = fail(engine, 5, username="nobody")

    with pytest.raises(LoginThrottled) as refused:
        attempt_login(engine, username="nobody", password=WRONG, now=last, address=ADDRESS)

    assert refused.value.wait_seconds == 15


def test_a_failure_that_starts_a_wait_is_audited(engine):
    make_user(engine, "ann", Role.REP)

    fail(engine, 5)

    with read_session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "login.throttled")).all()
    assert [(r.entity, r.actor_id, r.after) for r in rows] == [
        (
            "login",
            None,
            {
                "username": "ann",
                "address": ADDRESS,
                "wait_seconds": 15,
                "reason": "Too many failed logins for this username.",
            },
        )
    ]
