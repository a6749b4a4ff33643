"""`python -m leaddash create-team NAME [--manager USER]` and the service behind it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.cli import main
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden
from leaddash.models import AuditLog, Role, Team, User
from leaddash.users import set_team_manager
from tests.conftest import make_user


def _create_team(engine, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return main(["create-team", *argv])


def _user(engine, username: str) -> tuple[str, str | None]:
    with read_session(engine) as s:
        user, team = s.exec(
            select(User, Team.name).join(Team, isouter=True).where(User.username == username)
        ).one()
        return user.role, team


def _actions(engine) -> list[tuple[str, str]]:
    with read_session(engine) as s:
        return [(a.action, a.entity) for a in s.exec(select(AuditLog).order_by(AuditLog.id))]


def test_create_team_creates_it_with_an_audit_row(engine, monkeypatch, capsys):
    before = _actions(engine)

    code = _create_team(engine, monkeypatch, "East")

    assert code == 0
    assert capsys.readouterr().out == "Created team 'East'.\n"
    with read_session(engine) as s:
        assert s.exec(select(Team.name)).all() == ["East"]
    assert _actions(engine)[len(before) :] == [("team.create", "team")]


def test_a_duplicate_team_name_is_refused_and_nothing_changes(engine, monkeypatch, capsys):
    _create_team(engine, monkeypatch, "East")
    capsys.readouterr()

    code = _create_team(engine, monkeypatch, "East")

    assert code == 2
    assert capsys.readouterr().err == "error: A team called 'East' already exists.\n"
    with read_session(engine) as s:
        assert s.exec(select(Team.name)).all() == ["East"]


@pytest.mark.parametrize("role", [Role.REP, Role.SALES_MANAGER])
def test_the_manager_becomes_a_sales_manager_in_the_new_team(engine, monkeypatch, capsys, role):
    make_user(engine, "mia", role, team="West")
    before = _actions(engine)

    code = _create_team(engine, monkeypatch, "East", "--manager", "mia")

    assert code == 0
    assert capsys.readouterr().out == "Created team 'East', managed by 'mia'.\n"
    assert _user(engine, "mia") == ("sales_manager", "East")
    assert _actions(engine)[len(before) :] == [("team.create", "team"), ("user.update", "app_user")]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "error: There is no user called 'nobody'.\n"),
        (
            "lea",
            (
                "error: 'lea' is a sales leader: a team's manager is a sales manager, and making "
                "them one would take away their other rights. Choose a rep or a sales manager.\n"
            ),
        ),
    ],
)
def test_an_unusable_manager_is_refused_and_no_team_is_created(
    engine, monkeypatch, capsys, username, message
):
    make_user(engine, "lea", Role.SALES_LEADER)

    code = _create_team(engine, monkeypatch, "East", "--manager", username)

    assert code == 2
    assert capsys.readouterr().err == message
    with read_session(engine) as s:
        assert s.exec(select(Team.name)).all() == []
    assert _user(engine, "lea") == ("sales_leader", None)


def test_a_deactivated_manager_is_refused(engine, monkeypatch, capsys):
    make_user(engine, "mia", Role.REP)
    with write_session(engine) as s:
        s.exec(select(User).where(User.username == "mia")).one().is_active = False

    code = _create_team(engine, monkeypatch, "East", "--manager", "mia")

    assert code == 2
    assert "'mia' is deactivated: reactivate them first" in capsys.readouterr().err


def test_only_admins_choose_team_managers(engine):
    manager = make_user(engine, "sam", Role.SALES_MANAGER, team="East")
    make_user(engine, "rui", Role.REP, team="East")

    with pytest.raises(Forbidden) as refused, write_session(engine) as s:
        set_team_manager(s, actor=manager, team="East", username="rui")

    assert refused.value.message == (
        "A sales manager may not choose team managers. Ask someone with the right role."
    )
    assert _user(engine, "rui") == ("rep", "East")
