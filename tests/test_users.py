import pytest
from sqlmodel import select

from leaddash.auth import CLI_ACTOR, authenticate, check_password
from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.models import AuditLog, Role
from leaddash.users import (
    create_user,
    login_credentials,
    set_active,
    set_password,
    update_user,
)
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


def test_created_user_can_log_in_and_hash_is_bcrypt(engine):
    make_user(engine, "ann", Role.REP, team="East")
    with read_session(engine) as s:
        actor = authenticate(s, "ann", TEST_PASSWORD)
        creds = login_credentials(s)
    assert actor is not None and actor.role == "rep"
    assert creds["usernames"]["ann"]["password"].startswith("$2b$")


def test_wrong_password_and_inactive_user_cannot_log_in(engine, admin):
    make_user(engine, "ann", Role.REP)
    with write_session(engine) as s:
        set_active(s, actor=admin, username="ann", active=False)
    with read_session(engine) as s:
        assert authenticate(s, "ann", "wrong-password-here") is None
        assert authenticate(s, "ann", TEST_PASSWORD) is None
        assert "ann" not in login_credentials(s)["usernames"]


def test_unknown_role_lists_valid_roles(engine):
    with pytest.raises(InvalidInput) as err, write_session(engine) as s:
        create_user(s, actor=CLI_ACTOR, username="x1", role="ceo", password=TEST_PASSWORD)
    assert "Valid roles: admin, marketing_leader" in err.value.message


def test_rep_cannot_create_users(engine):
    rep = make_user(engine, "ann", Role.REP)
    with pytest.raises(Forbidden, match="A rep may not create users"), write_session(engine) as s:
        create_user(s, actor=rep, username="x1", role="rep", password=TEST_PASSWORD)


def test_password_rules_are_explained(engine):
    with pytest.raises(InvalidInput, match="too short"), write_session(engine) as s:
        create_user(s, actor=CLI_ACTOR, username="x1", role="rep", password="short")
    with pytest.raises(InvalidInput, match="at most 72 bytes"), write_session(engine) as s:
        create_user(s, actor=CLI_ACTOR, username="x1", role="rep", password="é" * 40)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("a" * 9, False),
        ("a" * 10, True),  # at least 10 characters
        ("a" * 72, True),
        ("a" * 73, False),  # at most 72 bytes, bcrypt's limit
        ("é" * 36, True),
        ("é" * 37, False),  # 2 bytes each in UTF-8
    ],
)
def test_password_length_limits_at_their_edges(password, accepted):
    if accepted:
        assert check_password(password) == password.encode("utf-8")
    else:
        with pytest.raises(InvalidInput):
            check_password(password)


def test_a_password_past_72_bytes_never_logs_in_on_its_first_72_bytes(engine):
    with write_session(engine) as s:
        create_user(s, actor=CLI_ACTOR, username="ann", role="rep", password="p" * 72)

    with read_session(engine) as s:
        assert authenticate(s, "ann", "p" * 72) is not None
        assert authenticate(s, "ann", "p" * 72 + "anything") is None


def test_setting_a_too_short_password_keeps_the_old_one(engine):
    make_user(engine, "ann", Role.REP)

    with pytest.raises(InvalidInput, match="too short"), write_session(engine) as s:
        set_password(s, actor=CLI_ACTOR, username="ann", password="short")

    with read_session(engine) as s:
        assert authenticate(s, "ann", TEST_PASSWORD) is not None


def test_stale_edit_is_refused_and_nothing_changes(engine, admin):
    make_user(engine, "ann", Role.REP)
    with write_session(engine) as s:
        update_user(s, actor=admin, username="ann", expected_version=1, role="sales_manager")
    with pytest.raises(Conflict, match="Someone else changed 'ann'"), write_session(engine) as s:
        update_user(s, actor=admin, username="ann", expected_version=1, role="marketing")
    with read_session(engine) as s:
        assert authenticate(s, "ann", TEST_PASSWORD).role == "sales_manager"


def test_every_write_is_audited_with_before_and_after(engine, admin):
    make_user(engine, "ann", Role.REP)
    with write_session(engine) as s:
        update_user(s, actor=admin, username="ann", expected_version=1, role="marketing")
    with read_session(engine) as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "user.update")).one()
    assert row.actor_id == admin.id
    assert row.before == {"role": "rep"} and row.after == {"role": "marketing"}


def test_each_committed_write_advances_the_data_version(engine, admin):
    from leaddash.models import DataVersion

    def counter():
        with read_session(engine) as s:
            row = s.get(DataVersion, "all")
            return row.counter if row else 0

    before = counter()
    make_user(engine, "ann", Role.REP)
    assert counter() == before + 1
    with read_session(engine) as s:
        authenticate(s, "ann", TEST_PASSWORD)
    assert counter() == before + 1
