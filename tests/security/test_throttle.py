"""Attacks on the login throttle, on a fake clock (SQLite and PostgreSQL): a stranger's
guesses never keep the real user out, spraying from one address is slowed to a number the
policy fixes, and unknown or deactivated usernames cost the same bcrypt work as real ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from sqlmodel import select

from leaddash import auth
from leaddash.auth import hash_password
from leaddash.db import read_session, write_session
from leaddash.errors import LoginThrottled
from leaddash.models import LoginFailure, Role, User
from leaddash.throttle import (
    ADDRESS_FREE_FAILURES,
    FIRST_WAIT,
    FREE_FAILURES,
    MAX_WAIT,
    USERNAME_FREE_FAILURES,
    WINDOW,
    attempt_login,
    known_address,
    login_wait_seconds,
)
from leaddash.users import set_active
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
HOME = "203.0.113.10"  # where the real user always logs in
STRANGER = "198.51.100.7"
SPRAYED_PASSWORD = "Winter2026!"


def try_login(engine, username: str, password: str, at: datetime, address: str) -> str:
    """Return "in", "wrong" (the password was checked) or "waited" (refused unchecked)."""
    try:
        actor = attempt_login(engine, username=username, password=password, now=at, address=address)
    except LoginThrottled:
        return "waited"
    return "in" if actor is not None else "wrong"


def ann_at_home(engine) -> None:
    """Create ann and log her in once from HOME the day before, making it her known address."""
    make_user(engine, "ann", Role.REP)
    assert try_login(engine, "ann", TEST_PASSWORD, T0 - timedelta(days=1), HOME) == "in"


def most_in_any_window(times: list[datetime], window: timedelta) -> int:
    """Return the most of `times` that fall in any stretch of `window` ending at one of them."""
    return max(sum(1 for t in times if end - window < t <= end) for end in times)


def guesses_one_address_gets(span: timedelta) -> int:
    """The spraying budget worked out by hand: ADDRESS_FREE_FAILURES at once, then one guess
    after each wait, FIRST_WAIT doubling up to MAX_WAIT (none leaves the hour's window)."""
    guesses, at, wait = ADDRESS_FREE_FAILURES, timedelta(0), FIRST_WAIT
    while at + wait < span:
        at, guesses, wait = at + wait, guesses + 1, min(wait * 2, MAX_WAIT)
    return guesses


# --- (a) a stranger guessing the real user's password ---


def test_a_strangers_guesses_never_keep_the_real_user_out_at_their_usual_address(engine):
    ann_at_home(engine)
    ann_outcomes, bursts = [], []
    for minute in range(0, 120, 5):  # the probe: 3 wrong guesses every 5 minutes, 2 hours
        start = T0 + timedelta(minutes=minute)
        bursts.append(
            [
                try_login(
                    engine, "ann", f"guess-{minute}-{i}", start + timedelta(seconds=i), STRANGER
                )
                for i in range(3)
            ]
        )
        if minute % 10 == 0:  # ann logs in every 10 minutes, right after a burst
            ann_outcomes.append(
                try_login(engine, "ann", TEST_PASSWORD, start + timedelta(seconds=3), HOME)
            )

    assert ann_outcomes == ["in"] * 12
    checked = [burst.count("wrong") for burst in bursts]
    # Once the stranger's address has spent its free failures of the hour, each burst gets
    # one guess checked and the other two refused unchecked, although ann's good logins come
    # in between: the stranger is held to a guess every 5 minutes.
    spent = next(i for i in range(len(checked)) if sum(checked[: i + 1]) >= ADDRESS_FREE_FAILURES)
    assert sum(checked[: spent + 1]) == ADDRESS_FREE_FAILURES
    assert checked[spent + 1 :] == [1] * (len(bursts) - spent - 1)
    assert (spent, sum(checked)) == (4, 29)  # 10 free in 5 bursts, then 19: 29 of 72 guesses


def test_the_real_users_good_login_does_not_wipe_the_strangers_failures(engine):
    ann_at_home(engine)
    for second in range(FREE_FAILURES):
        try_login(engine, "ann", "a-wrong-guess", T0 + timedelta(seconds=second), STRANGER)

    assert try_login(engine, "ann", TEST_PASSWORD, T0 + timedelta(seconds=10), HOME) == "in"

    with pytest.raises(LoginThrottled) as refused:
        attempt_login(
            engine,
            username="ann",
            password="another-guess",
            now=T0 + timedelta(seconds=11),
            address=STRANGER,
        )
    assert refused.value.message == (
        "Too many failed logins for this username. Wait 8 seconds, then try again."
    )


# --- (b) spraying one password over many usernames from one address ---


def add_users(engine, count: int) -> list[str]:
    """Store `count` reps sharing one password hash; return their usernames."""
    names = [f"user-{i:03d}" for i in range(count)]
    secret = hash_password(TEST_PASSWORD)
    with write_session(engine) as session:
        session.add_all(
            [User(username=n, name=n, role=Role.REP, password_hash=secret) for n in names]
        )
    return names


def test_spraying_one_password_over_200_usernames_is_slowed_to_the_policys_count(engine):
    usernames = add_users(engine, 200)
    at, sprayed, refusals = T0, [], []
    while at < T0 + HOUR:  # guess as fast as the throttle lets, each username once
        name = usernames[len(sprayed)]
        try:
            attempt_login(
                engine, username=name, password=SPRAYED_PASSWORD, now=at, address=STRANGER
            )
            sprayed.append(name)
        except LoginThrottled as refused:
            refusals.append((len(sprayed), refused.message))
            at += timedelta(seconds=refused.wait_seconds)

    assert len(sprayed) == guesses_one_address_gets(HOUR) == 25
    first_refused = (
        ADDRESS_FREE_FAILURES,
        "Too many failed logins from this network. Wait 15 seconds, then try again.",
    )
    assert refusals[0] == first_refused
    assert all(
        message.startswith("Too many failed logins from this network.") for _, message in refusals
    )


def test_a_sprayed_user_still_logs_in_from_their_own_address_at_once(engine):
    usernames = add_users(engine, 20)
    for second, name in enumerate(usernames):
        try_login(engine, name, SPRAYED_PASSWORD, T0 + timedelta(seconds=second), STRANGER)

    assert (
        try_login(engine, "user-019", SPRAYED_PASSWORD, T0 + timedelta(seconds=20), STRANGER)
        == "waited"
    )
    assert try_login(engine, "user-019", TEST_PASSWORD, T0 + timedelta(seconds=20), HOME) == "in"


# --- (c) the real user on an address they never used ---


def test_one_stranger_at_full_speed_never_keeps_the_real_user_out_of_a_new_address(engine):
    ann_at_home(engine)
    failed_at, ann_outcomes = [], []
    for tick in range(2 * 360):  # a guess every 10 seconds for 2 hours
        at = T0 + timedelta(seconds=10 * tick)
        if try_login(engine, "ann", f"guess-{tick}", at, STRANGER) == "wrong":
            failed_at.append(at)
        if tick % 60 == 30:  # every 10 minutes ann tries from an address new each time
            ann_outcomes.append(
                try_login(
                    engine, "ann", TEST_PASSWORD, at + timedelta(seconds=1), f"192.0.2.{tick // 60}"
                )
            )

    assert ann_outcomes == ["in"] * 12
    # One address, held to its own budget, never fails often enough to use up the budget
    # every address but the known one shares.
    assert most_in_any_window(failed_at, WINDOW) == 11 < USERNAME_FREE_FAILURES


def test_after_an_attack_from_many_addresses_the_user_gets_in_from_a_new_address_in_time(engine):
    ann_at_home(engine)
    at, outcomes = T0, []
    # 100 addresses take turns, a guess every 20 seconds, for an hour and until one is refused.
    while at < T0 + HOUR or outcomes[-1] != "waited":
        bot = f"198.18.0.{len(outcomes) % 100}"
        outcomes.append(try_login(engine, "ann", "a-wrong-guess", at, bot))
        if len(outcomes) % 30 == 0:  # every 10 minutes ann logs in at home
            assert try_login(engine, "ann", TEST_PASSWORD, at, HOME) == "in"
        at += timedelta(seconds=20)
    stopped = at - timedelta(seconds=20)  # the moment the last bot was refused

    with pytest.raises(LoginThrottled) as refused:  # ann, at once, from a café
        attempt_login(
            engine, username="ann", password=TEST_PASSWORD, now=stopped, address="192.0.2.200"
        )

    assert outcomes.count("waited") > len(outcomes) / 2  # the bots were slowed
    assert refused.value.message.startswith("Too many failed logins for this username. Wait ")
    assert 0 < refused.value.wait_seconds <= MAX_WAIT.total_seconds()
    assert (
        try_login(
            engine,
            "ann",
            TEST_PASSWORD,
            stopped + timedelta(seconds=refused.value.wait_seconds),
            "192.0.2.200",
        )
        == "in"
    )


def test_a_good_login_makes_its_address_the_known_one(engine):
    ann_at_home(engine)
    assert try_login(engine, "ann", TEST_PASSWORD, T0, "2001:db8:aa:bb::5") == "in"

    with read_session(engine) as session:
        assert known_address(session, "ann") == "2001:db8:aa:bb::/64"
        assert known_address(session, "nobody") is None


def test_a_good_login_forgets_only_its_own_addresses_failures(engine):
    ann_at_home(engine)
    try_login(engine, "ann", "typo-at-home", T0, HOME)
    try_login(engine, "ann", "a-wrong-guess", T0, STRANGER)

    assert try_login(engine, "ann", TEST_PASSWORD, T0 + timedelta(seconds=1), HOME) == "in"

    with read_session(engine) as session:
        left = session.exec(select(LoginFailure.username, LoginFailure.address)).all()
    assert left == [("ann", STRANGER)]


# --- (d) unknown and deactivated usernames cost the bcrypt work of a real one ---


@pytest.fixture
def checkpw_calls(monkeypatch) -> list[str]:
    """Record the cost prefix ("$2b$04$") of every hash bcrypt.checkpw checks."""
    calls, real = [], bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed[:7].decode("ascii"))
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", spy)
    return calls


def test_unknown_and_inactive_usernames_run_bcrypt_once_at_a_real_hashs_cost(engine, checkpw_calls):
    make_user(engine, "ann", Role.REP)
    admin = make_user(engine, "root", Role.ADMIN)
    make_user(engine, "gone", Role.REP)
    with write_session(engine) as session:
        set_active(session, actor=admin, username="gone", active=False)
    with read_session(engine) as session:
        real_cost = session.exec(select(User.password_hash).where(User.username == "ann")).one()[:7]
    cases = [
        ("ann", TEST_PASSWORD, "in"),
        ("ann", "a-wrong-guess", "wrong"),
        ("nobody", TEST_PASSWORD, "wrong"),
        ("gone", TEST_PASSWORD, "wrong"),
    ]

    for second, (username, password, expected) in enumerate(cases):
        checkpw_calls.clear()
        address = f"192.0.2.{second}"
        assert try_login(engine, username, password, T0, address) == expected
        assert checkpw_calls == [real_cost], username


def test_a_refused_attempt_runs_no_bcrypt_for_anyone(engine, checkpw_calls):
    make_user(engine, "ann", Role.REP)
    for username in ("ann", "nobody"):
        for second in range(FREE_FAILURES):
            assert (
                try_login(
                    engine,
                    username,
                    "a-wrong-guess",
                    T0 + timedelta(seconds=second),
                    STRANGER if username == "ann" else HOME,
                )
                == "wrong"
            )
    checkpw_calls.clear()

    later = T0 + timedelta(seconds=6)
    assert try_login(engine, "ann", TEST_PASSWORD, later, STRANGER) == "waited"
    assert try_login(engine, "nobody", TEST_PASSWORD, later, HOME) == "waited"
    assert checkpw_calls == []


def test_the_dummy_hash_costs_what_a_production_hash_costs(monkeypatch):
    monkeypatch.undo()  # the tests' cheap bcrypt rounds off: production's cost

    dummy = auth.dummy_hash()

    assert auth.BCRYPT_ROUNDS == 12
    assert dummy.startswith(f"$2b${auth.BCRYPT_ROUNDS:02d}$")
    assert bcrypt.checkpw(TEST_PASSWORD.encode(), dummy.encode()) is False


@pytest.mark.parametrize(
    ("after", "said"),
    [
        (0, "Wait 2 minutes, then try again."),
        (55, "Wait 1 minute 5 seconds, then try again."),
        (119, "Wait 1 second, then try again."),
    ],
)
def test_a_wait_is_told_in_minutes_and_seconds(engine, after, said):
    make_user(engine, "ann", Role.REP)
    at = T0
    for _ in range(FREE_FAILURES + 3):  # the eighth failure owes 2 minutes
        assert try_login(engine, "ann", "a-wrong-guess", at, STRANGER) == "wrong"
        with read_session(engine) as session:
            at += timedelta(seconds=login_wait_seconds(session, "ann", at, STRANGER))

    with pytest.raises(LoginThrottled) as refused:
        attempt_login(
            engine,
            username="ann",
            password=TEST_PASSWORD,
            now=at - timedelta(minutes=2) + timedelta(seconds=after),
            address=STRANGER,
        )

    assert refused.value.message == f"Too many failed logins for this username. {said}"
