"""A tab left open on a login that has since ended: every service action of the
authorization matrix, writes and reads and downloads alike, refuses it with LoginEnded
saying why, and writes nothing; the same action on a live login still takes.

Each way a login ends is applied once to a copy of the matrix's small office, after every
person logged in (as the form does): the actor a page built before the change then clicks.
Each action is performed by the first role the matrix allows it to. Cells run on SQLite (a
fresh copy per cell is a file copy), as the matrix's do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

import tests.authz_reads  # noqa: F401  (registers the dashboard, report and planner actions)
from leaddash.auth import CLI_ACTOR
from leaddash.core.actor import Actor
from leaddash.db import make_engine, read_session, write_session
from leaddash.errors import LoginEnded
from leaddash.logins import end_login, end_logins, start_login
from leaddash.models import LoginSession, Role, User, utcnow
from leaddash.users import (
    create_team,
    create_user,
    set_active,
    set_password,
    update_user,
)
from tests.authz_actions import ACTIONS, Cell
from tests.authz_world import World, build_world, snapshot
from tests.conftest import TEST_PASSWORD
from tests.test_authorization_matrix import MATRIX, ROLES

KEY = "a-cookie-key-for-the-recheck-cells-0123456789"
# Every action, performed by the first role the matrix allows it to.
PERFORMERS = {
    name: next(role for role, cell in zip(ROLES, cells, strict=True) if cell != "refused")
    for name, cells in MATRIX.items()
}
NEW_ROLE = {role.value: Role.MARKETING.value for role in Role} | {
    Role.MARKETING.value: Role.REP.value
}


def _deactivate(engine: Engine, world: World, logins: dict[str, str]) -> None:
    for person in world.people.values():
        _as_cli(engine, set_active, username=person.username, active=False)


def _change_role(engine: Engine, world: World, logins: dict[str, str]) -> None:
    for person in world.people.values():
        _as_cli(
            engine,
            update_user,
            username=person.username,
            expected_version=_version(engine, person),
            role=NEW_ROLE[person.role],
        )


def _move_team(engine: Engine, world: World, logins: dict[str, str]) -> None:
    _as_cli(engine, create_team, name="North")
    for person in world.people.values():
        _as_cli(
            engine,
            update_user,
            username=person.username,
            expected_version=_version(engine, person),
            team="North",
        )


def _log_out_elsewhere(engine: Engine, world: World, logins: dict[str, str]) -> None:
    for digest in logins.values():
        with write_session(engine) as session:
            end_login(session, digest=digest)


def _end_by_admin(engine: Engine, world: World, logins: dict[str, str]) -> None:
    for person in world.people.values():
        _as_cli(engine, end_logins, username=person.username)


def _reset_password(engine: Engine, world: World, logins: dict[str, str]) -> None:
    for person in world.people.values():
        _as_cli(engine, set_password, username=person.username, password="a-new-password-1")


def _leave_idle(engine: Engine, world: World, logins: dict[str, str]) -> None:
    with write_session(engine) as session:
        session.connection().execute(
            update(LoginSession.__table__).values(last_seen_at=utcnow() - timedelta(hours=13))
        )


@dataclass(frozen=True)
class Ending:
    """A way for every login of the office to end, and what its owner is then told."""

    end: Callable[[Engine, World, dict[str, str]], None]
    reason: Callable[[Actor], str]


ENDINGS = {
    "deactivation": Ending(_deactivate, lambda a: "your account was deactivated"),
    "role change": Ending(
        _change_role, lambda a: "your role changed to " + NEW_ROLE[a.role].replace("_", " ")
    ),
    "team change": Ending(_move_team, lambda a: "you moved to team North"),
    "logout in another tab": Ending(
        _log_out_elsewhere, lambda a: "you logged out in another tab or window"
    ),
    "admin end-logins": Ending(_end_by_admin, lambda a: "an admin ended your logins"),
    "password reset": Ending(_reset_password, lambda a: "your password was changed"),
    "idle expiry": Ending(_leave_idle, lambda a: "you were away for more than 12 hours"),
}


def _as_cli(engine: Engine, service, **kwargs) -> None:
    with write_session(engine) as session:
        service(session, actor=CLI_ACTOR, **kwargs)


def _version(engine: Engine, person: Actor) -> int:
    with read_session(engine) as session:
        return session.get(User, person.id).version


@dataclass(frozen=True)
class Office:
    """A copy of the office where everyone has logged in (and maybe since been cut off)."""

    path: Path
    world: World
    actors: dict[str, Actor]  # as each person's page built them at login
    untouched: dict[str, str]

    def cell(self, folder: Path, name: str) -> Cell:
        """Return a fresh copy of this office to perform `name` in, as its performer."""
        target = folder / "cell.db"
        shutil.copyfile(self.path, target)
        return Cell(make_engine(f"sqlite:///{target}"), self.world, self.actors[PERFORMERS[name]])


def _office(world: World, folder: Path, ending: Ending | None) -> Office:
    path = folder / "office.db"
    shutil.copyfile(world.path, path)
    engine = make_engine(f"sqlite:///{path}")
    # A second admin, so an office whose admin is deactivated or demoted keeps one.
    _as_cli(engine, create_user, username="spare", role=Role.ADMIN, password=TEST_PASSWORD)
    logins = {}
    for key, person in world.people.items():
        with write_session(engine) as session:
            logins[key] = start_login(session, user_id=person.id, key=KEY, now=utcnow())[1]
    if ending is not None:
        ending.end(engine, world, logins)
    untouched = snapshot(engine)
    engine.dispose()
    actors = {key: replace(person, login=logins[key]) for key, person in world.people.items()}
    return Office(path, world, actors, untouched)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("leaddash.auth.BCRYPT_ROUNDS", 4)
        return build_world(tmp_path_factory.mktemp("recheck"))


@pytest.fixture(scope="module")
def offices(world, tmp_path_factory) -> dict[str | None, Office]:
    """Return the office as logged in (None) and after each way of ending the logins."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("leaddash.auth.BCRYPT_ROUNDS", 4)
        return {
            kind: _office(world, tmp_path_factory.mktemp("office"), ENDINGS.get(kind))
            for kind in (None, *ENDINGS)
        }


CELLS = [(name, kind) for kind in ENDINGS for name in MATRIX]


@pytest.mark.parametrize(("name", "kind"), CELLS, ids=[f"{k} | {n}" for n, k in CELLS])
def test_a_stale_tab_is_refused_and_nothing_is_written(offices, tmp_path, name, kind):
    office = offices[kind]
    cell = office.cell(tmp_path, name)
    try:
        with pytest.raises(LoginEnded) as refusal, write_session(cell.engine) as session:
            ACTIONS[name].act(session, cell)
        assert snapshot(cell.engine) == office.untouched
    finally:
        cell.engine.dispose()
    reason = ENDINGS[kind].reason(cell.actor)
    assert refusal.value.message == f"Your login has ended ({reason}): log in again."


@pytest.mark.parametrize("name", list(MATRIX))
def test_a_live_login_still_does_what_its_role_allows(offices, tmp_path, name):
    office = offices[None]
    cell = office.cell(tmp_path, name)
    expected = MATRIX[name][ROLES.index(PERFORMERS[name])]
    try:
        with write_session(cell.engine) as session:
            result = ACTIONS[name].act(session, cell)
        assert ACTIONS[name].done(cell, result, expected), f"{name} did not take"
    finally:
        cell.engine.dispose()


def test_every_action_of_the_matrix_is_checked_here():
    assert {name for name, _ in CELLS} == set(ACTIONS) == set(PERFORMERS)
