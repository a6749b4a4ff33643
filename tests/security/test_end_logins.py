"""Logins the server holds: what ends them, what the owner is told, and that nothing brings
an ended login back (SQLite and PostgreSQL).

A login here is started as the login form does after a right password (start_login), and
checked as a page run checks it (resume_login) or as a service checks its actor
(verify_actor).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, update
from sqlmodel import select

from leaddash.access import verify_actor
from leaddash.auth import CLI_ACTOR
from leaddash.cli import main as cli
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, LoginEnded
from leaddash.logins import (
    end_login,
    end_logins,
    login_digest,
    resume_login,
    start_login,
    touch_login,
)
from leaddash.models import AuditLog, DataVersion, LoginSession, Role
from leaddash.users import create_team, set_active, set_password, update_user
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

KEY = "a-cookie-key-for-these-tests-only-0123456789"
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "a-brand-new-password"


def log_in(engine, user, at: datetime = T0) -> tuple[str, str]:
    """Start a login of `user` at `at`; return (the cookie's token, its digest)."""
    with write_session(engine) as session:
        return start_login(session, user_id=user.id, key=KEY, now=at, address="192.0.2.7")


def ended_reason(engine, digest: str, at: datetime = T0) -> str | None:
    """Return what the owner of login `digest` is told at `at` (None: it still holds)."""
    try:
        resume_login(engine, digest=digest, now=at)
    except LoginEnded as ended:
        return ended.message
    return None


def ended(reason: str) -> str:
    return f"Your login has ended ({reason}): log in again."


def rows(engine) -> list[LoginSession]:
    with read_session(engine) as session:
        return list(session.exec(select(LoginSession)).all())


@pytest.fixture
def ann(engine):
    return make_user(engine, "ann", Role.REP, team="East")


def test_a_login_holds_only_a_keyed_digest_of_its_token(engine, ann):
    token, digest = log_in(engine, ann)

    [row] = rows(engine)
    assert row.token_sha256 == digest == login_digest(token, KEY)
    assert len(digest) == 64 and token not in digest
    assert login_digest(token, KEY + "-rotated") != digest  # a new key finds no old login
    assert (row.user_id, row.address, row.ended_at) == (ann.id, "192.0.2.7", None)
    assert resume_login(engine, digest=digest, now=T0) == replace(ann, login=digest)


def test_logging_in_and_out_neither_audits_nor_moves_the_data_version(engine, ann):
    with read_session(engine) as session:
        audits = session.exec(select(func.count()).select_from(AuditLog)).one()
        versions = session.exec(select(DataVersion.counter)).all()

    _, digest = log_in(engine, ann)
    resume_login(engine, digest=digest, now=T0 + timedelta(minutes=5))  # touches it
    with write_session(engine) as session:
        assert end_login(session, digest=digest, now=T0 + timedelta(minutes=6))

    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditLog)).one() == audits
        assert session.exec(select(DataVersion.counter)).all() == versions


def test_a_logout_ends_that_login_only(engine, ann):
    _, this_tab = log_in(engine, ann)
    _, other_browser = log_in(engine, ann)

    with write_session(engine) as session:
        assert end_login(session, digest=this_tab)
        assert not end_login(session, digest=this_tab)  # a second logout changes nothing

    assert ended_reason(engine, this_tab) == ended("you logged out in another tab or window")
    assert ended_reason(engine, other_browser) is None


def test_an_admin_ends_every_login_of_a_user_and_it_is_audited(engine, ann, admin):
    digests = [log_in(engine, ann)[1] for _ in range(3)]
    _, bobs = log_in(engine, make_user(engine, "bob", Role.REP, team="East"))
    with write_session(engine) as session:
        end_login(session, digest=digests[0])

    with write_session(engine) as session:
        count = end_logins(session, actor=admin, username="ann")

    assert count == 2  # the login already ended is not counted again
    assert {ended_reason(engine, d) for d in digests[1:]} == {ended("an admin ended your logins")}
    assert ended_reason(engine, digests[0]) == ended("you logged out in another tab or window")
    assert ended_reason(engine, bobs) is None
    with read_session(engine) as session:
        [audit] = session.exec(select(AuditLog).where(AuditLog.action == "user.end_logins")).all()
    assert (audit.actor_id, audit.entity_id, audit.after) == (admin.id, ann.id, {"logins_ended": 2})


def test_only_an_admin_may_end_someone_elses_logins(engine, ann):
    _, digest = log_in(engine, ann)
    manager = make_user(engine, "max", Role.SALES_MANAGER, team="East")

    with pytest.raises(Forbidden) as refusal, write_session(engine) as session:
        end_logins(session, actor=manager, username="ann")

    assert refusal.value.message == (
        "A sales manager may not end other people's logins. Ask someone with the right role."
    )
    assert ended_reason(engine, digest) is None


def test_a_password_reset_ends_every_login_of_the_user(engine, ann, admin):
    digests = [log_in(engine, ann)[1] for _ in range(2)]

    with write_session(engine) as session:
        set_password(session, actor=admin, username="ann", password=NEW_PASSWORD)

    assert [ended_reason(engine, d) for d in digests] == [ended("your password was changed")] * 2


def test_changing_the_own_password_keeps_the_tab_it_was_changed_from(engine, ann):
    now = datetime.now(UTC)  # the service checks the login it acts under as of now
    _, here = log_in(engine, ann, now)
    _, elsewhere = log_in(engine, ann, now)

    with write_session(engine) as session:
        set_password(session, actor=replace(ann, login=here), username="ann", password=NEW_PASSWORD)

    assert ended_reason(engine, here, now) is None
    assert ended_reason(engine, elsewhere, now) == ended("your password was changed")


def test_deactivation_ends_the_logins_and_reactivation_does_not_revive_them(engine, ann, admin):
    _, digest = log_in(engine, ann)

    with write_session(engine) as session:
        set_active(session, actor=admin, username="ann", active=False)
    assert ended_reason(engine, digest) == ended("your account was deactivated")
    with write_session(engine) as session:
        set_active(session, actor=admin, username="ann", active=True)

    assert ended_reason(engine, digest) == ended("your account was deactivated")
    _, fresh = log_in(engine, ann)
    assert ended_reason(engine, fresh) is None  # a new login works again


def test_a_role_change_ends_the_logins_naming_the_new_role(engine, ann, admin):
    _, digest = log_in(engine, ann)

    with write_session(engine) as session:
        update_user(
            session, actor=admin, username="ann", expected_version=1, role=Role.SALES_MANAGER.value
        )

    assert ended_reason(engine, digest) == ended("your role changed to sales manager")


def test_a_team_change_ends_the_logins_naming_the_new_team(engine, ann, admin):
    with write_session(engine) as session:
        create_team(session, actor=admin, name="West")
    _, digest = log_in(engine, ann)

    with write_session(engine) as session:
        update_user(session, actor=admin, username="ann", expected_version=1, team="West")

    assert ended_reason(engine, digest) == ended("you moved to team West")


def test_a_new_name_or_email_keeps_the_logins(engine, ann, admin):
    _, digest = log_in(engine, ann)

    with write_session(engine) as session:
        update_user(
            session,
            actor=admin,
            username="ann",
            expected_version=1,
            name="Ann Lee",
            email="ann@example.com",
            role=Role.REP.value,
            team="East",
        )

    assert ended_reason(engine, digest) is None


def test_a_login_unused_for_the_idle_limit_has_ended(engine, ann):
    _, digest = log_in(engine, ann)

    assert ended_reason(engine, digest, T0 + timedelta(hours=11)) is None  # used at 11 h
    assert ended_reason(engine, digest, T0 + timedelta(hours=22)) is None  # and at 22 h
    assert ended_reason(engine, digest, T0 + timedelta(hours=34)) == ended(
        "you were away for more than 12 hours"
    )


def test_the_idle_limit_is_a_setting(engine, ann, monkeypatch):
    monkeypatch.setenv("LEADDASH_LOGIN_IDLE_HOURS", "2")
    _, digest = log_in(engine, ann)

    assert ended_reason(engine, digest, T0 + timedelta(hours=1, minutes=59)) is None
    assert ended_reason(engine, digest, T0 + timedelta(hours=3, minutes=59)) == ended(
        "you were away for more than 2 hours"
    )


def test_a_used_login_lasts_no_longer_than_the_cookie_days(engine, ann, monkeypatch):
    monkeypatch.setenv("LEADDASH_COOKIE_DAYS", "1")
    _, digest = log_in(engine, ann)

    for hours in (6, 12, 18):  # used every six hours: never idle
        assert ended_reason(engine, digest, T0 + timedelta(hours=hours)) is None
    assert ended_reason(engine, digest, T0 + timedelta(hours=24)) == ended(
        "you logged in more than 1 day ago"
    )


def test_a_use_is_written_at_most_once_a_minute(engine, ann):
    _, digest = log_in(engine, ann)

    for seconds in (10, 30, 59):
        resume_login(engine, digest=digest, now=T0 + timedelta(seconds=seconds))
    [row] = rows(engine)
    assert row.last_seen_at.replace(tzinfo=UTC) == T0
    resume_login(engine, digest=digest, now=T0 + timedelta(seconds=61))
    [row] = rows(engine)
    assert row.last_seen_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=61)


def test_an_ended_login_is_not_touched_back_to_life(engine, ann):
    _, digest = log_in(engine, ann)
    with write_session(engine) as session:
        end_login(session, digest=digest, now=T0)
        touch_login(session, digest=digest, now=T0 + timedelta(minutes=5))

    [row] = rows(engine)
    assert row.last_seen_at.replace(tzinfo=UTC) == T0
    assert ended_reason(engine, digest, T0 + timedelta(minutes=6)) is not None


def test_a_login_nobody_knows_is_refused(engine, ann):
    assert ended_reason(engine, login_digest("made-up-token", KEY)) == ended(
        "it is no longer on record"
    )


def test_old_logins_are_dropped_when_someone_logs_in(engine, ann):
    _, old = log_in(engine, ann, T0)
    _, fresh = log_in(engine, ann, T0 + timedelta(days=8, minutes=1))  # 7 days and a day

    assert [row.token_sha256 for row in rows(engine)] == [fresh]
    assert old != fresh


# --- the check every service makes ------------------------------------------------------


def statements_during(engine, run) -> int:
    """Return how many SQL statements `run()` sent through `engine`."""
    seen = []

    def listener(*args: object) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_check_is_one_query_once_per_transaction(engine, ann):
    _, digest = log_in(engine, ann, datetime.now(UTC))
    actor = replace(ann, login=digest)

    with read_session(engine) as session:
        session.connection()  # the transaction's BEGIN is not the check's
        first = statements_during(engine, lambda: verify_actor(session, actor))
        again = statements_during(engine, lambda: verify_actor(session, actor))

    assert (first, again) == (1, 0)


def test_an_actor_without_a_login_is_still_checked_against_the_user_row(engine, ann, admin):
    with write_session(engine) as session:
        update_user(
            session, actor=admin, username="ann", expected_version=1, role=Role.SALES_MANAGER.value
        )

    with pytest.raises(LoginEnded) as refusal, read_session(engine) as session:
        verify_actor(session, ann)  # built before the change, as a page would have

    assert refusal.value.message == ended("your role changed to sales manager")


def test_the_command_line_acts_without_a_login(engine):
    with read_session(engine) as session:
        verify_actor(session, CLI_ACTOR)  # no user row, nothing to check, no refusal


def test_a_login_of_someone_else_does_not_pass(engine, ann):
    _, bobs = log_in(engine, make_user(engine, "bob", Role.REP, team="East"), datetime.now(UTC))

    with pytest.raises(LoginEnded) as refusal, read_session(engine) as session:
        verify_actor(session, replace(ann, login=bobs))

    assert refusal.value.message == ended("it is no longer on record")


def test_an_idle_login_refuses_the_service_too(engine, ann):
    _, digest = log_in(engine, ann, datetime.now(UTC))
    with write_session(engine) as session:
        session.connection().execute(
            update(LoginSession.__table__).values(
                last_seen_at=datetime.now(UTC) - timedelta(hours=13)
            )
        )

    with pytest.raises(LoginEnded) as refusal, read_session(engine) as session:
        verify_actor(session, replace(ann, login=digest))

    assert refusal.value.message == ended("you were away for more than 12 hours")


# --- the command line --------------------------------------------------------------------


def test_end_logins_from_the_command_line(engine, ann, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    digests = [log_in(engine, ann, datetime.now(UTC))[1] for _ in range(2)]

    assert cli(["end-logins", "ann"]) == 0

    assert capsys.readouterr().out == (
        "Ended 2 logins of 'ann'; each of their open tabs asks them to log in again.\n"
    )
    assert {row.token_sha256: row.ended_reason for row in rows(engine)} == dict.fromkeys(
        digests, "an admin ended your logins"
    )


def test_end_logins_of_an_unknown_user_says_so(engine, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))

    assert cli(["end-logins", "nobody"]) == 2

    assert capsys.readouterr().err == "error: There is no user called 'nobody'.\n"
