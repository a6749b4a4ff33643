"""User and team administration: every function checks that the actor may manage users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import true
from sqlmodel import Session, col, select

from leaddash.access import (
    DEACTIVATED,
    PASSWORD_CHANGED,
    authorize,
    role_changed,
    team_changed,
    verify_actor,
)
from leaddash.audit import act_as
from leaddash.auth import (
    USERNAME_PATTERN,
    check_role,
    get_user,
    hash_password,
    team_by_name,
)
from leaddash.core.actor import Actor
from leaddash.errors import Conflict, InvalidInput
from leaddash.logins import end_user_logins
from leaddash.models import Role, Team, User, stored_id
from leaddash.notify.checks import check_email
from leaddash.queue.handover import hand_over_open_leads


@dataclass(frozen=True)
class UserRow:
    """What the admin page lists for one user."""

    id: int
    username: str
    name: str
    email: str | None
    role: str
    team: str | None
    is_active: bool
    version: int


def _check_username(username: str) -> str:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            f"{username!r} is not a usable username: use 2–64 lower-case letters, digits, "
            "dots, dashes or underscores, starting with a letter or digit.",
            field="username",
        )
    return username


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    name: str | None = None,
    email: str | None = None,
    team: str | None = None,
) -> User:
    """Create an active user and return it; refuses duplicates and unknown roles or teams."""
    authorize(session, actor, "manage_users", "create users")
    _check_username(username)
    check_role(role)
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"A user called {username!r} already exists.", field="username")
    team_row = team_by_name(session, team)
    address = check_email(email, field="email") if (email or "").strip() else None
    act_as(session, actor, "user.create")
    user = User(
        username=username,
        name=name or username,
        email=address,
        role=role,
        team_id=team_row.id if team_row else None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    expected_version: int,
    role: str | None = None,
    team: str | None = None,
    name: str | None = None,
    email: str | None = None,
) -> User:
    """Change a user's role, team, name or email; a stale `expected_version` is refused."""
    authorize(session, actor, "manage_users", "change users")
    user = _current(session, username, expected_version)
    address = check_email(email, field="email") if (email or "").strip() else None
    if role is not None and check_role(role) != Role.ADMIN:
        refuse_last_admin(session, user, f"As a {role.replace('_', ' ')}")
    # The team is looked up before anything changes: the lookup's autoflush would otherwise
    # write a role change on its own, and one change would leave two audit rows.
    team_row = team_by_name(session, team) if team is not None else None
    before = (user.role, user.team_id)
    act_as(session, actor, "user.update")
    if role is not None:
        user.role = check_role(role)
    if team is not None:
        user.team_id = team_row.id if team_row else None
    if name is not None:
        user.name = name.strip() or user.name
    if email is not None:
        user.email = address
    session.flush()
    _end_logins_if_moved(session, user, before, team_row)
    return user


def _end_logins_if_moved(
    session: Session, user: User, before: tuple[str, int | None], team: Team | None
) -> None:
    """End the user's logins when their role or team changed: each tab logs in again."""
    reasons = []
    if user.role != before[0]:
        reasons.append(role_changed(user.role))
    if user.team_id != before[1]:
        reasons.append(team_changed(team.name if team else None))
    if reasons:
        end_user_logins(session, user_id=stored_id(user), reason=" and ".join(reasons))


def set_active(
    session: Session, *, actor: Actor, username: str, active: bool, leads_to: str | None = None
) -> User:
    """Activate or deactivate a user; a deactivated user cannot log in, and their open
    leads move in the same transaction to the rep called `leads_to` (None: to their team's
    queue, unassigned). The last active admin is never deactivated."""
    if not active:
        deactivate_user(session, actor=actor, username=username, leads_to=leads_to)
        return get_user(session, username)
    authorize(session, actor, "manage_users", "reactivate users")
    user = get_user(session, username)
    act_as(session, actor, "user.activate")
    user.is_active = True  # the old logins stay ended: the user logs in again
    session.flush()
    return user


def deactivate_user(
    session: Session, *, actor: Actor, username: str, leads_to: str | None = None
) -> int:
    """Deactivate a user as `set_active` describes, ending their logins; return how many
    open leads moved."""
    user = _deactivatable(session, actor, username)
    moved = hand_over_open_leads(session, actor=actor, user=user, leads_to=leads_to)
    act_as(session, actor, "user.deactivate")
    user.is_active = False
    session.flush()
    end_user_logins(session, user_id=stored_id(user), reason=DEACTIVATED)
    return moved


def _deactivatable(session: Session, actor: Actor, username: str) -> User:
    """Return the user the actor may deactivate: not themselves, not the last admin."""
    authorize(session, actor, "manage_users", "deactivate users")
    if actor.username == username:
        raise InvalidInput("You cannot deactivate yourself; ask another admin.")
    user = get_user(session, username)
    refuse_last_admin(session, user, "Deactivated")
    return user


def set_role(session: Session, *, actor: Actor, username: str, role: str) -> str:
    """Give a user another role, as `update_user` does; return the role they had."""
    authorize(session, actor, "manage_users", "change users")
    user = get_user(session, username)
    before = user.role
    update_user(session, actor=actor, username=username, expected_version=user.version, role=role)
    return before


def refuse_last_admin(session: Session, user: User, outcome: str) -> None:
    """Raise Conflict when `user` is the only active admin (so no admin would be left).

    The active admins' rows are locked in id order (FOR UPDATE on PostgreSQL; on SQLite the
    write session holds the database's write lock), so of two admins demoting each other
    at once the second waits, sees the first one's change and is refused."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    admins = session.exec(
        select(User.id)
        .where(User.role == Role.ADMIN, col(User.is_active).is_(True))
        .order_by(col(User.id))
        .with_for_update()
    ).all()
    if user.id in admins and all(admin == user.id for admin in admins):
        raise Conflict(
            f"{user.username!r} is the last active admin. {outcome}, they could "
            "no longer manage users, and nobody else could either. Make another "
            "user an admin first."
        )


def set_password(session: Session, *, actor: Actor, username: str, password: str) -> User:
    """Reset a user's password (admins for anyone, everyone for themselves); every login of
    the user ends, but the one they change their own password from."""
    verify_actor(session, actor)
    if actor.username != username:
        authorize(session, actor, "manage_users", "reset other people's passwords")
    user = get_user(session, username)
    act_as(session, actor, "user.set_password")
    user.password_hash = hash_password(password)
    session.flush()
    end_user_logins(
        session,
        user_id=stored_id(user),
        reason=PASSWORD_CHANGED,
        keep=actor.login if actor.id == user.id else None,
    )
    return user


def _current(session: Session, username: str, expected_version: int) -> User:
    user = get_user(session, username)
    if user.version != expected_version:
        raise Conflict(
            f"Someone else changed {username!r} while you were editing. "
            "Reload the page to see their change, then make yours again."
        )
    return user


def list_users(session: Session, *, actor: Actor) -> list[UserRow]:
    """Return every user with their team name, for the admin page."""
    authorize(session, actor, "manage_users", "see the user list")
    rows = session.exec(
        select(User, Team.name).join(Team, isouter=True).order_by(User.username)
    ).all()
    return [
        UserRow(stored_id(u), u.username, u.name, u.email, u.role, team, u.is_active, u.version)
        for u, team in rows
    ]


def create_team(session: Session, *, actor: Actor, name: str) -> Team:
    """Create a team and return it."""
    authorize(session, actor, "manage_users", "create teams")
    name = name.strip()
    if not name:
        raise InvalidInput("Give the team a name.", field="name")
    if session.exec(select(Team).where(Team.name == name)).first():
        raise Conflict(f"A team called {name!r} already exists.", field="name")
    act_as(session, actor, "team.create")
    team = Team(name=name)
    session.add(team)
    session.flush()
    return team


def set_team_manager(session: Session, *, actor: Actor, team: str, username: str) -> User:
    """Make `username` a manager of `team` — a sales manager in that team, as the admin page
    sets one — and return them; only an active rep or sales manager may be made one."""
    authorize(session, actor, "manage_users", "choose team managers")
    user = get_user(session, username)
    if not user.is_active:
        raise InvalidInput(
            f"{username!r} is deactivated: reactivate them first, or choose another manager.",
            field="manager",
        )
    if user.role not in (Role.REP, Role.SALES_MANAGER):
        raise InvalidInput(
            f"{username!r} is a {user.role.replace('_', ' ')}: a team's manager "
            "is a sales manager, and making them one would take away their "
            "other rights. Choose a rep or a sales manager.",
            field="manager",
        )
    return update_user(
        session,
        actor=actor,
        username=username,
        expected_version=user.version,
        role=Role.SALES_MANAGER.value,
        team=team,
    )


def team_names(session: Session) -> list[str]:
    """Return the names of all teams, sorted."""
    return list(session.exec(select(Team.name).order_by(Team.name)).all())


def login_credentials(session: Session) -> dict:
    """Return active users in the shape streamlit-authenticator expects (hashes only)."""
    users = session.exec(select(User).where(col(User.is_active) == true())).all()
    return {
        "usernames": {
            u.username: {
                "name": u.name,
                "email": u.email or "",
                "password": u.password_hash,
                "roles": [u.role],
            }
            for u in users
        }
    }
